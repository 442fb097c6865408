/**
 * Secrets in the text of a log: where they hide, and how they are cut out. A CloudTrail record is
 * written by services and by callers: a presigned URL in a parameter carries its session token as
 * `X-Amz-Security-Token=IQoJ...%2F...%3D`, a form-encoded body carries `SecretAccessKey%3D...`, a
 * user agent or an error message can carry anything, JSON written by a library that escapes `=`
 * (Gson writes `SecretAccessKey\u003d...`) too. Every string the review keeps, and every field
 * name, goes through {@link redactText}, so that no output (text, markdown, JSON) can echo one,
 * encoded or not.
 */
import { findSecrets, isSessionToken, maskPieces, SECRET_ACCESS_KEY_IN_TEXT } from "../../incident/secrets.ts";

export const REDACTED = "[redacted by cordon]";

/**
 * Whether a name is a secret's: a field of a record, a `NAME=value` in a text, the `name` of a
 * `{name, value}` pair. Judged once `-` and `_` are taken out and case is ignored (services and
 * people spell one name `secretAccessKey`, `SecretAccessKey`, `aws_secret_access_key`,
 * `X-Amz-Security-Token`), by how the name ends: `DB_PASSWORD`, `PGPASSWORD`, `mysql_password`,
 * `API_SECRET`, `STRIPE_API_KEY`, `github-token`, `sessionToken`, `ssh_private_key`,
 * `db-credentials`, `STRIPE_SECRET_KEY`, `SecretString`, `passwords`; or by the whole name, for the
 * short ones (`pwd`, `pass`). The names that end like a secret's and are not one
 * ({@link NOT_SECRET_NAME}) stay. Not plurals of `token` (Bedrock's `maxTokens` is a number) nor of
 * `secret` (ECS's `secrets` list the ARNs a container reads, which the review shows).
 */
export function isSecretName(name: string): boolean {
  const plain = name.replace(/[-_]/g, "").toLowerCase();
  return (SECRET_NAME_END.test(plain) || SECRET_NAMES.has(plain)) && !NOT_SECRET_NAME.test(plain);
}

/** How a secret's name ends, `-` and `_` out, lowercased. */
const SECRET_NAME_END =
  /(passwords?|passwd|passphrases?|secret|secretkey|secretaccesskey|token|tokenvalue|apikeys?|privatekeys?|credentials?|secretstring|secretbinary)$/;
/** Whole names too short to judge by how they end. */
const SECRET_NAMES: ReadonlySet<string> = new Set(["pwd", "pass"]);
/**
 * Names that end like a secret's and hold none: a page's token (`nextToken`, `NextToken`,
 * `paginationToken`), an idempotency token (`clientToken`, `ClientRequestToken`) and WAF's change
 * token say where a list goes on or that a call is repeated, and grant nothing;
 * `X-Amz-Credential` is a key id and a scope (the signature's, not a secret); `GetSigninToken`
 * is how the federation endpoint's record says whether it gave a sign-in token (`Success` or
 * `Failure`, never the token), which the review reads to tell an opened console session from a
 * refused one. Names ending in `apikey` all stay secret: AppSync's API key id is the key itself,
 * and a tag `api-key` holds a key more often than a name; an API Gateway `apiKey` (the key's id)
 * is hidden with them, which costs the reader an id the review never follows.
 */
const NOT_SECRET_NAME =
  /^(?:(?:next|client|clientrequest|request|pagination|continuation|starting|idempotency|page|change|getsignin)token|xamzcredential)$/;

/**
 * A secret given by name inside a text: `name=value` (a query string, a form body, an environment
 * assignment), `"name": "value"` (JSON inside a string) or `name: value` (YAML). A colon needs a
 * quote or a space around it: `secret:name` is how an ARN names a Secrets Manager secret, not a
 * secret. The value runs to the next delimiter; its name is judged by {@link isSecretName}.
 */
export const NAMED_SECRET =
  /(?<![A-Za-z0-9_-])([A-Za-z][A-Za-z0-9_-]{2,40})(?:"?[ \t]*=[ \t]*"?|"[ \t]*:[ \t]*"?|:[ \t]+"?)([^\s&;,"'<>]+)/g;

/**
 * In free text (a user agent, an error message), a secret access key stands alone: 40 characters
 * not inside a longer run of base64url. Error messages carry base64url blobs (the "Encoded
 * authorization failure message" of every denied EC2 call), in which any stretch of 40 letters
 * and digits between a `-` and a `_` looks like a key and is not one.
 */
export const STANDALONE_SECRET_IN_TEXT = /(?<![A-Za-z0-9/+_-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])/g;

/** At most this many layers of encoding are looked through (a URL inside a URL inside a form). */
const MAX_DECODINGS = 4;

/**
 * A text decoded from another, with where each of its characters came from: `from[i]` and `to[i]`
 * bound the piece of the original text that character `i` stands for (null: the original itself).
 */
interface View {
  text: string;
  from: number[] | null;
  to: number[] | null;
}

const HEX = /^[0-9A-Fa-f]{2}$/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

/** How many characters of `text` at `i` are an escape: `%XX` (3), `\uXXXX` (6), or none (0). */
function escapeAt(text: string, i: number): number {
  if (text[i] === "%") return HEX.test(text.slice(i + 1, i + 3)) ? 3 : 0;
  if (text[i] === "\\" && text[i + 1] === "u") return HEX4.test(text.slice(i + 2, i + 6)) ? 6 : 0;
  return 0;
}

/**
 * One layer of encoding taken off `view`: percent-encoding, and the `\uXXXX` escapes JSON writers
 * leave in text (Gson writes `=` as `\u003d`; JSON inside a string keeps them as text). Every escape
 * becomes one character: the ASCII character it encodes, or U+FFFD for anything else (never a
 * character of a secret, so it bounds one as the sequence would). Null when there is nothing to
 * decode.
 */
function decodeOnce(view: View): View | null {
  const { text } = view;
  if (!text.includes("%") && !text.includes("\\u")) return null;
  const fromOf = (i: number) => (view.from === null ? i : view.from[i]);
  const toOf = (i: number) => (view.to === null ? i + 1 : view.to[i]);
  const chars: string[] = [];
  const from: number[] = [];
  const to: number[] = [];
  let changed = false;
  for (let i = 0; i < text.length; ) {
    const width = escapeAt(text, i);
    // The hex digits: after `%`, or after `\u`.
    const code = width === 0 ? -1 : Number.parseInt(text.slice(i + (width === 3 ? 1 : 2), i + width), 16);
    chars.push(width === 0 ? text[i] : code < 0x80 ? String.fromCharCode(code) : "\uFFFD");
    from.push(fromOf(i));
    to.push(toOf(width === 0 ? i : i + width - 1));
    i += width === 0 ? 1 : width;
    changed ||= width > 0;
  }
  return changed ? { text: chars.join(""), from, to } : null;
}

/**
 * Each match of a global pattern in `text`, in the order and at the places `text.matchAll(pattern)`
 * finds them (an empty match steps one character on, as it does). Not `matchAll` itself, which
 * copies the pattern on every call: every string of every record a review keeps is searched with
 * three patterns, and those copies were most of a reader thread's time in redaction. `pattern` is
 * this module's own: its `lastIndex` is used, and left at 0.
 */
export function eachMatch(pattern: RegExp, text: string, found: (match: RegExpExecArray) => void): void {
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0] === "") pattern.lastIndex++;
    found(match);
  }
}

/** This module's copy of the key pattern of incident/secrets.ts: {@link findSecrets} moves a pattern's `lastIndex`. */
const SECRET_KEY_IN_VALUE = new RegExp(SECRET_ACCESS_KEY_IN_TEXT.source, SECRET_ACCESS_KEY_IN_TEXT.flags);

/** Whether a text can hold a named secret ({@link NAMED_SECRET} needs a `=` or a `:` after the name): else it is not searched for one. */
export function mayNameSecret(text: string): boolean {
  return text.includes("=") || text.includes(":");
}

/** Where secrets are in `view.text`, as pieces of the original text. */
function secretsIn(view: View, keys: RegExp, found: [number, number][]): void {
  const { text } = view;
  const piece = (start: number, end: number) =>
    found.push(view.from === null || view.to === null ? [start, end] : [view.from[start], view.to[end - 1]]);
  // Secret access keys and session tokens: found as incident/secrets.ts finds them everywhere.
  findSecrets(text, piece, keys);
  if (mayNameSecret(text))
    eachMatch(NAMED_SECRET, text, (match) => {
      if (!isSecretName(match[1])) return;
      const end = match.index + match[0].length;
      piece(end - match[2].length, end);
    });
}

/**
 * `value` with every secret in it replaced by {@link REDACTED}: a secret access key (40 characters
 * of base64 in mixed case), a session token, a value given under a secret's name; each found in the
 * text as it is and in the text decoded (`%XX`, `\uXXXX`), up to {@link MAX_DECODINGS} times, and cut out of
 * the text as it is (so `X-Amz-Security-Token=IQoJ...%2F...` keeps its name and loses its value).
 * A text that is a session token is replaced whole. `kind` says where the text was: a value (of a
 * request parameter, say), or free text, where a key must stand alone ({@link STANDALONE_SECRET_IN_TEXT}).
 */
export function redactText(value: string, kind: "value" | "free text" = "value"): string {
  if (isSessionToken(value)) return REDACTED;
  const found: [number, number][] = [];
  let view: View | null = { text: value, from: null, to: null };
  for (let layer = 0; view !== null && layer <= MAX_DECODINGS; layer++) {
    secretsIn(view, kind === "value" ? SECRET_KEY_IN_VALUE : STANDALONE_SECRET_IN_TEXT, found);
    view = decodeOnce(view);
  }
  return maskPieces(value, found, REDACTED);
}

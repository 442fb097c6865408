/**
 * What an AWS secret looks like inside a text, in one home: a secret access key and a session
 * token. Every place that must not echo one asks here: the incident loader's E_SECRET and its
 * messages, the CLI's usage errors, `new`'s text flags and comments, and the review's redaction of
 * CloudTrail records (review/core/secrets.ts, which adds what only a log needs: names of secret
 * fields, encoded text). Pure, and cheap to load: `cordon` masks its usage errors with it before
 * any command is loaded.
 */

/**
 * Secret access keys: 40 characters of base64 with mixed case, alone. A hex digest of that length
 * is all one case, and is not one. Not followed by "=": base64 pads only at the end, so such a run
 * is the end of longer data; after one it is a key (`AWS_SECRET_ACCESS_KEY=...` is how a secret is
 * usually pasted).
 */
export const SECRET_ACCESS_KEY_IN_TEXT = /(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;

/** Whether a 40-character token found by {@link SECRET_ACCESS_KEY_IN_TEXT} has a secret's mixed case. */
export function isSecretShaped(token: string): boolean {
  return /[a-z]/.test(token) && /[A-Z]/.test(token) && /[0-9/+]/.test(token);
}

/**
 * How AWS session tokens begin: the base64 of their first bytes, the same in every token of a
 * version (STS's v2 tokens `IQoJb3JpZ2lu`, its v1 tokens `FwoGZXIvYXdz` and `FQoGZXIvYXdz`, older
 * ones `AQoDYXdz`, and the documentation's `AQoEXAMPLE`). A token runs to hundreds of characters
 * of base64 after it; a session token is as much a secret as the secret access key that goes with
 * it, and is pasted as carelessly.
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_Credentials.html
 */
export const SESSION_TOKEN_PREFIXES: readonly string[] = [
  "IQoJb3JpZ2lu",
  "FwoGZXIvYXdz",
  "FQoGZXIvYXdz",
  "AQoDYXdz",
  "AQoEXAMPLE",
];
const SESSION_TOKEN_START = new RegExp(`^(?:${SESSION_TOKEN_PREFIXES.join("|")})`);
/** A session token inside a longer text: a prefix not inside a run of base64, then the rest of its base64. */
const SESSION_TOKEN_IN_TEXT = new RegExp(
  `(?<![A-Za-z0-9/+])(?:${SESSION_TOKEN_PREFIXES.join("|")})[A-Za-z0-9/+=]*`,
  "g",
);

/** Whether a text begins as a session token does: all of it is then taken for one. */
export function isSessionToken(text: string): boolean {
  return SESSION_TOKEN_START.test(text);
}

/**
 * Whether a text is long enough to hold a key as the key patterns find one (they match exactly 40
 * characters). Shorter texts, most strings of a CloudTrail record, are not searched for keys.
 */
export function mayHoldKey(text: string): boolean {
  return text.length >= 40;
}

/** What a secret found in a text is. */
export type SecretKind = "secret access key" | "session token";

/**
 * Each secret in `text`, by where it starts and ends (a session token's and a key's may overlap).
 * `keys` is how a secret access key stands in this text: {@link SECRET_ACCESS_KEY_IN_TEXT} unless
 * the caller knows better (the review's free text, where base64url blobs abound); a global pattern
 * whose `lastIndex` is used, and left at 0.
 */
export function findSecrets(
  text: string,
  found: (start: number, end: number, kind: SecretKind) => void,
  keys: RegExp = SECRET_ACCESS_KEY_IN_TEXT,
): void {
  if (mayHoldKey(text)) {
    each(keys, text, (match) => {
      if (isSecretShaped(match[0])) found(match.index, match.index + match[0].length, "secret access key");
    });
  }
  each(SESSION_TOKEN_IN_TEXT, text, (match) => found(match.index, match.index + match[0].length, "session token"));
}

/** Each match of a global pattern, as `matchAll` finds them, without the copy of the pattern `matchAll` makes on every call. */
function each(pattern: RegExp, text: string, found: (match: RegExpExecArray) => void): void {
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    if (match[0] === "") pattern.lastIndex++;
    found(match);
  }
}

/** The first kind of secret `text` holds, or undefined when it holds none. */
export function secretIn(text: string): SecretKind | undefined {
  let kind: SecretKind | undefined;
  findSecrets(text, (_start, _end, found) => {
    kind ??= found;
  });
  return kind;
}

/** The text with every secret in it replaced by `mask`: what a message may quote from a file or a command line. */
export function maskSecrets(text: string, mask = "(secret not shown)"): string {
  const pieces: [number, number][] = [];
  findSecrets(text, (start, end) => pieces.push([start, end]));
  return maskPieces(text, pieces, mask);
}

/**
 * `text` with each piece (`[start, end)`, in any order, overlapping or nested) replaced by `mask`:
 * pieces that overlap or touch one another become one mask.
 */
export function maskPieces(text: string, pieces: [number, number][], mask: string): string {
  if (pieces.length === 0) return text;
  const sorted = [...pieces].sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = "";
  let at = 0;
  for (const [start, end] of sorted) {
    if (end <= at) continue;
    if (start >= at) out += text.slice(at, start) + mask;
    at = end;
  }
  return out + text.slice(at);
}

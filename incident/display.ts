/**
 * How text that came from a file or from AWS is shown: an incident's title, a file's name, a live
 * policy, a CloudTrail user agent. Such text reaches terminals, where an ESC sequence can rewrite
 * the screen, and CI logs, where GitHub's runner reads a line that starts with `::` (after
 * spaces), or that holds `##[` anywhere, as a workflow command (`::add-mask::`,
 * `::stop-commands::`, `##[error]`). Every command passes what it prints through here, once, at
 * the point where it prints.
 *
 * It lives at the bottom of the flow, beside the format, because every part prints such values
 * (the plan, verify, the review, the command line) and every part may import the format.
 * @see https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
 * @see https://github.com/actions/runner/blob/main/src/Runner.Common/ActionCommand.cs
 */

/**
 * Characters that never reach an output raw: C0 and C1 controls and DEL (`\p{Cc}`, which holds
 * ESC), format characters (`\p{Cf}`: bidi overrides and isolates, zero-width spaces and joiners,
 * the byte order mark, tag characters), lone surrogates, private use, line and paragraph
 * separators, every space but the plain one (NBSP and its kin look like a space and are not one),
 * and the fillers that render as nothing.
 */
const UNSAFE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each invisible or combining code point is listed on its own, on purpose
  /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0]/u;

/** Whether a character (one code point) is shown as an escape. */
export function isUnsafeCharacter(char: string): boolean {
  return UNSAFE.test(char);
}

/** `\u200b`, or `\u{e0041}` beyond the basic plane: the notation JavaScript and JSON readers know. */
function escapeOf(codePoint: number): string {
  return codePoint <= 0xffff ? `\\u${codePoint.toString(16).padStart(4, "0")}` : `\\u{${codePoint.toString(16)}}`;
}

/**
 * One line (or one value) made safe. Unsafe characters become `\uXXXX`; the first `:` of a line
 * that starts with `::` after spaces, and the second `#` of every `##[`, become escapes too, so
 * the runner sees no workflow command. A backslash is doubled only where it would otherwise be
 * read as the start of an escape (before `u`, before another backslash, before an escaped
 * character), so ordinary text keeps its backslashes and every output decodes back to exactly one
 * input: two different values are never shown the same.
 */
function escapeLine(line: string): string {
  const chars = Array.from(line);
  const escaped = new Set<number>();
  chars.forEach((char, i) => {
    if (UNSAFE.test(char)) escaped.add(i);
  });
  const leading = /^( *)::/.exec(line);
  if (leading) escaped.add(leading[1].length);
  for (let i = 1; i + 1 < chars.length; i++) {
    if (chars[i - 1] === "#" && chars[i] === "#" && chars[i + 1] === "[") escaped.add(i);
  }
  let out = "";
  chars.forEach((char, i) => {
    if (escaped.has(i)) out += escapeOf(char.codePointAt(0)!);
    else if (char === "\\" && (chars[i + 1] === "u" || chars[i + 1] === "\\" || escaped.has(i + 1))) out += "\\\\";
    else out += char;
  });
  return out;
}

/**
 * A whole text to print (a report, a message of several lines): every line made safe; the line
 * breaks stay. Apply it once, to text whose only control characters came from a file or AWS:
 * cordon's own colours are added after it.
 */
export function displaySafe(text: string): string {
  return text.split("\n").map(escapeLine).join("\n");
}

/** One value on one line (a name, a path, a message): like `displaySafe`, and a line break is escaped too. */
export function displayValue(value: string): string {
  return escapeLine(value);
}

/**
 * Every string of a JSON-like value made safe with `displayValue`, keys included: for a report
 * that is rendered with colours, whose values must be escaped before the colours go in.
 */
export function displayValues<T>(value: T): T {
  if (typeof value === "string") return displayValue(value) as T;
  if (Array.isArray(value)) return value.map((item) => displayValues(item)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [displayValue(key), displayValues(item)]),
    ) as T;
  }
  return value;
}

/**
 * JSON text made safe without changing what it means: unsafe characters (which JSON.stringify
 * leaves raw, but for C0) and the `#` of `##[` become `\uXXXX` escapes, which a JSON reader turns
 * back into the same characters. They can only stand inside strings: JSON's own syntax is ASCII.
 */
export function jsonSafe(json: string): string {
  // Most of a review's JSON (megabytes) is printable ASCII, which holds no unsafe character: that
  // is told by one pass of a plain character class, much faster than the Unicode classes of UNSAFE.
  const escaped = BEYOND_PRINTABLE_ASCII.test(json) ? escapeUnsafeInJson(json) : json;
  return escaped.includes("##[") ? escaped.replace(/##\[/g, "#\\u0023[") : escaped;
}

/**
 * Every unsafe character of a JSON text as `\uXXXX` escapes, a surrogate pair as two: the slow path
 * of {@link jsonSafe}, for a text with anything beyond printable ASCII in it.
 */
export function escapeUnsafeInJson(json: string): string {
  // One pass of a regular expression, not a string built character by character.
  return json.replace(UNSAFE_ALL, (char) => {
    if (char === "\n") return char;
    let out = "";
    for (let i = 0; i < char.length; i++) out += `\\u${char.charCodeAt(i).toString(16).padStart(4, "0")}`;
    return out;
  });
}

const UNSAFE_ALL = new RegExp(UNSAFE.source, "gu");
/**
 * A character other than a line break or printable ASCII (space to `~`). A text without one has
 * nothing in UNSAFE: its only ASCII characters are the controls (`\p{Cc}`: U+0000 to U+001F and
 * DEL), and the line break, which {@link escapeUnsafeInJson} keeps.
 */
const BEYOND_PRINTABLE_ASCII = /[^\n\x20-\x7e]/;

/** The ASCII punctuation that gives markup within a line: each is shown with a backslash. */
const MARKDOWN_PUNCTUATION = /[\\`*_[\]<>|~&$!]/;

/**
 * A value within a line of markdown (a table cell, a list item): shown as text, never as markup.
 * The punctuation of links, images, emphasis, code, HTML, tables and math is backslash-escaped
 * (GitHub accepts a backslash before any ASCII punctuation), and so are the `:` of `://` and the
 * `.` of `www.`, which would make an autolink; a line break becomes the escape `\u000a` (a table
 * row is one line); `@` and `#` are followed by a zero-width space (`&#8203;`, as Dependabot writes
 * it), and so is the `GH` of `GH-`, so that `@team` notifies nobody, `a@b.c` is no e-mail link and
 * `#1`, `octo-org/infra#12` and `GH-7` link to no issue or pull request (GitHub's autolinked
 * references, in a user agent or an error message). Timestamps, versions and paths stay
 * readable in the raw markdown. Other control characters are the job of `displaySafe`, applied to
 * the whole markdown once it is written. A backslash is always escaped, so two different values
 * never give the same markdown.
 */
export function markdownSafe(value: string): string {
  const chars = Array.from(value);
  let out = "";
  chars.forEach((char, i) => {
    const autolink =
      (char === ":" && chars[i + 1] === "/" && chars[i + 2] === "/") ||
      (char === "." && /(^|[^A-Za-z0-9])www$/i.test(chars.slice(Math.max(0, i - 4), i).join("")));
    if (char === "\n") out += "\\u000a";
    else if (char === "@" || char === "#") out += `${char}&#8203;`;
    else if (char === "-" && /^gh$/i.test(chars.slice(Math.max(0, i - 2), i).join(""))) out += "&#8203;-";
    else if (autolink || MARKDOWN_PUNCTUATION.test(char)) out += `\\${char}`;
    else out += char;
  });
  return out;
}

/**
 * What the record scanner says of a text that is not JSON: V8's own `JSON.parse` messages, at the
 * line and column V8 gives (test/review-scanner.test.ts holds the two together on generated texts),
 * so that a broken file is refused exactly as when files were parsed whole. Columns count UTF-16
 * units, as in a string, though the scanner reads UTF-8 bytes.
 */

/** A text's first error: V8's message, and where (1-based). */
export interface JsonError {
  message: string;
  line: number;
  col: number;
}

export const MESSAGES = {
  eos: "Unexpected end of JSON input",
  number: "Unexpected number",
  string: "Unexpected string",
  propertyOrBrace: "Expected property name or '}'",
  quotedProperty: "Expected double-quoted property name",
  colon: "Expected ':' after property name",
  commaOrBrace: "Expected ',' or '}' after property value",
  commaOrBracket: "Expected ',' or ']' after array element",
  afterJson: "Unexpected non-whitespace character after JSON",
  unterminated: "Unterminated string",
  control: "Bad control character in string literal",
  escape: "Bad escaped character",
  unicode: "Bad Unicode escape",
  minus: "No number after minus sign",
  fraction: "Unterminated fractional number",
  exponent: "Exponent part is missing a number",
} as const;

export const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** V8's message for a byte where no token can begin (not for a non-ASCII byte: see {@link unexpectedCharacter}). */
export function unexpectedByte(c: number): string {
  if (c === 0x22) return MESSAGES.string;
  if (isDigit(c) || c === 0x2d) return MESSAGES.number;
  return `Unexpected token '${String.fromCharCode(c)}'`;
}

/** How many bytes the UTF-8 character that begins with `lead` has (1 for a byte no character begins with). */
export function characterLength(lead: number): number {
  return lead >= 0xf0 && lead < 0xf5 ? 4 : lead >= 0xe0 && lead < 0xf0 ? 3 : lead >= 0xc2 && lead < 0xe0 ? 2 : 1;
}

/** V8's message for an unexpected non-ASCII character: it shows the character (one UTF-16 unit of it). */
export function unexpectedCharacter(bytes: readonly number[]): string {
  return `Unexpected token '${Buffer.from(bytes.slice(0, characterLength(bytes[0])))
    .toString("utf8")
    .charAt(0)}'`;
}

/**
 * Where an error is, in a string's terms: lines by line feeds, columns in UTF-16 units. The
 * scanner tells it the non-ASCII bytes it passes inside strings (outside them, such a byte is an
 * error at once): a continuation byte is no unit of its own, a 4-byte character is two.
 */
export class Position {
  line = 1;
  /** The UTF-16 offset just after the last line feed. */
  private lineStart = 0;
  private continuations = 0;
  private fourByteLeads = 0;

  /** A non-ASCII byte inside a string. */
  nonAscii(byte: number): void {
    if (byte < 0xc0) this.continuations++;
    else if (byte >= 0xf0 && byte < 0xf8) this.fourByteLeads++;
  }

  /** Non-ASCII bytes inside strings, counted elsewhere: `continuations` of them continue a character, `fourByteLeads` begin one of four bytes. */
  nonAsciiCounted(continuations: number, fourByteLeads: number): void {
    this.continuations += continuations;
    this.fourByteLeads += fourByteLeads;
  }

  /** A line feed at `absolute` (a byte offset in the file). */
  lineFeed(absolute: number): void {
    this.line++;
    this.lineStart = this.offset(absolute + 1);
  }

  private marked = [1, 0, 0, 0];

  /** Remembers where it is, for {@link restore}: a record read ahead and then read again must not count twice. */
  mark(): void {
    const marked = this.marked;
    marked[0] = this.line;
    marked[1] = this.lineStart;
    marked[2] = this.continuations;
    marked[3] = this.fourByteLeads;
  }

  /** Back to where {@link mark} was. */
  restore(): void {
    [this.line, this.lineStart, this.continuations, this.fourByteLeads] = this.marked;
  }

  /** The UTF-16 offset of the byte at `absolute`. */
  private offset(absolute: number): number {
    return absolute - this.continuations + this.fourByteLeads;
  }

  /** The error `message` at the byte at `absolute`. */
  at(message: string, absolute: number): JsonError {
    return { message, line: this.line, col: this.offset(absolute) - this.lineStart + 1 };
  }
}

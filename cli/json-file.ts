/**
 * What a command says of a file it was given that is not JSON (`--stack-outputs FILE`, `review
 * --assess FILE`): where it stops being JSON, never what it holds. V8's own message quotes the
 * file (`Unexpected token 'w', "wJalrXUtnF"... is not valid JSON`), and a file given in the wrong
 * place can be the one that holds a secret access key: ten characters of it are too many.
 */

/** `not JSON (line 3, column 7)`, for a text that `JSON.parse` refuses. */
export function notJsonProblem(text: string): string {
  const at = errorOffset(text);
  const lineStart = text.lastIndexOf("\n", at - 1) + 1;
  const line = text.slice(0, lineStart).split("\n").length;
  return `not JSON (line ${line}, column ${at - lineStart + 1})`;
}

/** V8's message for a text, or undefined when it parses. */
function parseError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

const POSITION = /at position (\d+)/;
const END = "Unexpected end of JSON input";

/** The UTF-16 offset of a text's first error: where V8 says, or, where it does not say, searched. */
function errorOffset(text: string): number {
  const message = parseError(text) ?? "";
  const given = POSITION.exec(message);
  if (given !== null) return Number(given[1]);
  if (message.startsWith(END)) return text.length;
  return searchedErrorOffset(text);
}

/**
 * The UTF-16 offset of the first error of a text `JSON.parse` refuses, found without V8's word for
 * it: V8 gives it in most messages, but not in those that quote the text (an unexpected token).
 * It is the length of the longest start of the text that could still become JSON: such a start
 * parses, or fails only at its end (running out, or an error V8 places there: an unterminated
 * string, escape or number). That holds for every start up to the error and for none beyond it,
 * so a binary search over the starts finds it in a few parses.
 */
export function searchedErrorOffset(text: string): number {
  const couldContinue = (length: number) => {
    const error = parseError(text.slice(0, length));
    if (error === undefined || error.startsWith(END)) return true;
    const at = POSITION.exec(error);
    return at !== null && Number(at[1]) >= length;
  };
  if (couldContinue(text.length)) return text.length;
  // The first `low` characters could continue; the first `high` could not.
  let low = 0;
  let high = text.length;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (couldContinue(middle)) low = middle;
    else high = middle;
  }
  return high - 1;
}

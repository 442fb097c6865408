/**
 * One value written into YAML on one line, as the incident files and the review's "add to the
 * incident" snippet write names, ARNs and titles: plain when it reads back as the same string in
 * a mapping's value, else double-quoted with every unsafe character escaped. Names come from IAM
 * and CloudTrail, where an attacker may choose them (`...`, `@x`, `true`, `a:`): none may break the
 * file or turn into another value.
 */
import { parse, stringify } from "yaml";
import { isUnsafeCharacter } from "./display.ts";

/** The characters of IAM names and ARNs: the only ones ever written plain. */
const PLAIN = /^[\w+=,.@:/-]+$/;

/** A name or an ARN: plain when YAML reads it back as itself in `key: VALUE`, else quoted. */
export function yamlName(text: string): string {
  return PLAIN.test(text) && readsBack(text) ? text : yamlQuoted(text);
}

/** An item of a flow list (`[A, B]`): plain when it reads back as itself there (no comma splits it), else quoted. */
export function yamlListItem(text: string): string {
  if (!PLAIN.test(text)) return yamlQuoted(text);
  try {
    const read = (parse(`key: [${text}]`) as { key?: unknown } | null)?.key;
    return Array.isArray(read) && read.length === 1 && read[0] === text ? text : yamlQuoted(text);
  } catch {
    return yamlQuoted(text);
  }
}

/**
 * Free text (a title, a ticket) on one line: as the yaml library writes it when that is one line
 * that reads back as itself, else quoted (the library writes a block scalar for text starting with
 * `...` or `---`, which cannot follow a key on its line).
 */
export function yamlText(text: string): string {
  const written = stringify(text, { lineWidth: 0 }).trimEnd();
  return !written.includes("\n") && readsBack(written, text) ? written : yamlQuoted(text);
}

/**
 * A YAML double-quoted string that shows on one line, safely: JSON's escapes (which YAML reads the
 * same), and `\uXXXX` (`\UXXXXXXXX` beyond the basic plane) for what JSON leaves raw (line separators,
 * bidi controls, invisible characters).
 */
export function yamlQuoted(text: string): string {
  let out = "";
  for (const char of JSON.stringify(text)) {
    const code = char.codePointAt(0) as number;
    out += !isUnsafeCharacter(char)
      ? char
      : code <= 0xffff
        ? `\\u${code.toString(16).padStart(4, "0")}`
        : `\\U${code.toString(16).padStart(8, "0")}`;
  }
  return out;
}

/** Whether `written` after a key reads back as `text` (a string, the same one). */
function readsBack(written: string, text = written): boolean {
  try {
    return (parse(`key: ${written}`) as { key?: unknown } | null)?.key === text;
  } catch {
    return false;
  }
}

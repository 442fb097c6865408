/**
 * An incident file's YAML, with positions: the text parsed within the limits a hostile file could
 * abuse (its size, repeated keys, aliases that expand without end), and a locator from a field's
 * path to its line and column. A problem here ends the file's checks: nothing more can be said
 * about text that is not yet a value.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from "yaml";
import type { Diagnostic } from "./diagnostics.ts";
import { fieldName, type FieldPath, type Locator } from "./fields.ts";
import type { SourceFile } from "./types.ts";

/** IAM and CI files stay small; a larger file is a mistake or an attack on the parser. */
export const MAX_FILE_BYTES = 64 * 1024;
/** Aliases are legal YAML, but a few hundred expand into millions of nodes (the "billion laughs"). */
export const MAX_ALIAS_COUNT = 100;

/**
 * The most of a token a YAML error quotes: the parser quotes the whole token it did not expect,
 * which in a file that is not YAML at all (a README) is a paragraph.
 */
export const QUOTED_TOKEN_CHARS = 60;
/** The most YAML errors said of one file: past the first few, a file is not an incident file at all. */
export const MAX_YAML_ERRORS = 10;

/**
 * A YAML error in one line: the parser's first line without its position (the diagnostic has
 * it), the token it quotes cut to {@link QUOTED_TOKEN_CHARS} characters, with "…".
 */
export function yamlErrorSummary(message: string): string {
  const summary = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  const quoted = /^(.*?: )"((?:[^"\\]|\\.)*)"$/.exec(summary);
  if (quoted === null) return summary;
  const token = Array.from(quoted[2]);
  if (token.length <= QUOTED_TOKEN_CHARS) return summary;
  // Never half an escape (`\n` is two characters of the quoted token, `\u001b` six).
  const cut = token
    .slice(0, QUOTED_TOKEN_CHARS)
    .join("")
    .replace(/(^|[^\\])((?:\\\\)*)\\(u[0-9a-fA-F]{0,3})?$/, "$1$2");
  return `${quoted[1]}"${cut}…"`;
}

/**
 * At most {@link MAX_YAML_ERRORS} of a file's YAML errors (sorted by position), then one that
 * says how many more there are, where the first of them is: `more` makes it.
 */
export function capYamlErrors<T extends { line: number; col: number }>(
  errors: readonly T[],
  more: (count: number, at: { line: number; col: number }) => T,
): T[] {
  if (errors.length <= MAX_YAML_ERRORS) return [...errors];
  const rest = errors.slice(MAX_YAML_ERRORS);
  return [...errors.slice(0, MAX_YAML_ERRORS), more(rest.length, rest[0])];
}

/**
 * How cordon parses every YAML file an attacker may write (incident files, Pulumi.yaml and the
 * stack files): YAML 1.2's core schema, whatever the file's `%YAML` directive says. Left to the
 * directive, `%YAML 1.1` switches the library to YAML 1.1's types: `2026-11-28T10:00:00Z` becomes a
 * date (reported as "found a mapping"), `on` a boolean, `1:20` the number 80, `<<` a merge key. The
 * same text would then mean one thing to cordon and another to a reader that ignores the directive, and
 * a rule that looks for the text `<<` would not see the merge key. Under the core schema a plain
 * timestamp is a string, as every incident field that holds an instant expects.
 * @see https://yaml.org/spec/1.2.2/#1022-tag-resolution
 */
export const HOSTILE_YAML_OPTIONS = {
  schema: "core",
  resolveKnownTags: true,
  merge: false,
  uniqueKeys: true,
  prettyErrors: true,
  // The library never prints a warning of its own, which would quote the file unescaped.
  logLevel: "error",
} as const;

export interface ParsedYaml {
  value: unknown;
  locate: Locator;
  /** The text of a scalar as written in the file (before YAML turned it into a number). */
  source(path: FieldPath): string | undefined;
}

/** Parses one file; `errors` is empty exactly when `parsed` is there. */
export function parseYaml(file: SourceFile): { parsed?: ParsedYaml; errors: Diagnostic[] } {
  const diagnostic = (line: number, col: number, code: Diagnostic["code"], message: string): Diagnostic => ({
    file: file.path,
    line,
    col,
    code,
    message,
  });

  const bytes = Buffer.byteLength(file.text, "utf8");
  if (bytes > MAX_FILE_BYTES) {
    return {
      errors: [
        diagnostic(
          1,
          1,
          "E_FILE_TOO_LARGE",
          `file has more than ${MAX_FILE_BYTES} bytes (64 KiB), expected a small file: an incident declares a few principals and keys`,
        ),
      ],
    };
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(file.text, { ...HOSTILE_YAML_OPTIONS, lineCounter });
  // A tag is reported as a tag, even where it made the YAML fail (`!!timestamp` on a non-date).
  const tagged = explicitTags(doc, lineCounter, file.text).map((t) =>
    diagnostic(t.line, t.col, "E_YAML_TAG", t.message),
  );
  const syntax = doc.errors.filter((error) => tagged.length === 0 || error.code !== "TAG_RESOLVE_FAILED");
  if (syntax.length > 0 || tagged.length > 0) {
    const errors = syntax
      .map((error) => {
        const pos = error.linePos?.[0] ?? { line: 1, col: 1 };
        const summary = yamlErrorSummary(error.message);
        if (error.code === "DUPLICATE_KEY") {
          const key = /^\s*(?:-\s+)?["']?([^"':]+)["']?\s*:/.exec(file.text.split(/\r?\n/)[pos.line - 1] ?? "")?.[1];
          return diagnostic(
            pos.line,
            pos.col,
            "E_DUPLICATE_KEY",
            `duplicate field${key ? ` "${key}"` : ""}: a repeated field would silently override the first one`,
          );
        }
        return diagnostic(pos.line, pos.col, "E_YAML_SYNTAX", summary);
      })
      .concat(tagged)
      .sort((x, y) => x.line - y.line || x.col - y.col);
    return {
      errors: capYamlErrors(errors, (count, at) =>
        diagnostic(
          at.line,
          at.col,
          "E_YAML_SYNTAX",
          `and ${count} more YAML ${count === 1 ? "error" : "errors"} from here, not shown: is this an incident file?`,
        ),
      ),
    };
  }

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const pos = firstAlias(doc, lineCounter);
    return {
      errors: [
        diagnostic(
          pos.line,
          pos.col,
          "E_ALIAS_LIMIT",
          `aliases expand into more than ${MAX_ALIAS_COUNT} nodes (${(error as Error).message}): write the values out`,
        ),
      ],
    };
  }
  return { parsed: { value, locate: locator(doc, lineCounter), source: sourceOf(doc) }, errors: [] };
}

/** YAML's own tags are written `!!name` (tag:yaml.org,2002:name); local ones as they are. */
function shownTag(tag: string): string {
  return tag.startsWith("tag:yaml.org,2002:") ? `!!${tag.slice("tag:yaml.org,2002:".length)}` : tag;
}

/**
 * Every value written with an explicit tag but `!!str`: `!!binary` becomes bytes and `!!timestamp`
 * a date, neither of which an incident field holds, and a local tag (`!foo`) means nothing to
 * cordon. A field's type comes from the schema, never from the file. `!!str` says only what quotes
 * say, and is read as text.
 */
function explicitTags(
  doc: Document,
  lineCounter: LineCounter,
  text: string,
): { line: number; col: number; message: string }[] {
  const found: { line: number; col: number; message: string }[] = [];
  visit(doc, {
    Node(key, node, path) {
      if (node.tag === undefined || node.tag === "tag:yaml.org,2002:str") return;
      const field: FieldPath = [];
      const chain = [...path, node];
      for (let i = 0; i < chain.length; i++) {
        const at = chain[i];
        if (isPair(at) && isScalar(at.key)) field.push(String(at.key.value));
        else if (isSeq(at) && chain[i + 1] !== undefined) field.push(at.items.indexOf(chain[i + 1] as never));
      }
      if (key === "key") field.pop();
      const pos = lineCounter.linePos(tagOffset(text, node.range?.[0] ?? 0));
      const where = fieldName(field) || "file";
      found.push({
        line: pos.line,
        col: pos.col,
        message: `${where}: found the explicit tag ${shownTag(node.tag)}, expected a plain value: an incident field's type comes from the schema, not from a tag (write the value without the tag; quote it to keep it text)`,
      });
    },
  });
  return found;
}

/** Where the tag of the value at `start` is written: the token before it that starts with `!` (an anchor may stand between). */
function tagOffset(text: string, start: number): number {
  let at = start;
  for (let tokens = 0; tokens < 2; tokens++) {
    let end = at;
    while (end > 0 && /\s/.test(text[end - 1])) end--;
    let begin = end;
    while (begin > 0 && !/\s/.test(text[begin - 1])) begin--;
    if (text[begin] === "!") return begin;
    at = begin;
  }
  return start;
}

function locator(doc: Document, lineCounter: LineCounter): Locator {
  return (path, where = "value") => {
    // Walk as far as the path exists: a missing field is reported where its parent is.
    let node: unknown = doc.contents;
    let keyNode: unknown;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (!pair) break;
        keyNode = pair.key;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number" && node.items[segment] !== undefined) {
        keyNode = undefined;
        node = node.items[segment];
      } else {
        break;
      }
    }
    const target = (where === "key" && keyNode ? keyNode : (node ?? keyNode)) as Node | undefined;
    const offset = target?.range?.[0] ?? 0;
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  };
}

function sourceOf(doc: Document): (path: FieldPath) => string | undefined {
  return (path) => {
    const node = doc.getIn(path, true);
    return isScalar(node) && typeof node.source === "string" ? node.source : undefined;
  };
}

function firstAlias(doc: Document, lineCounter: LineCounter) {
  let offset = 0;
  visit(doc, {
    Alias(_, node) {
      offset = node.range?.[0] ?? 0;
      return visit.BREAK;
    },
  });
  return lineCounter.linePos(offset);
}

/**
 * The review's outputs, one row each: the flag that asks for it and how its text is made, in
 * pieces, safe to print. Log files are written by whoever could write to the bucket, so every
 * value (a user agent, a parameter, an event id) is shown escaped (incident/display.ts): the
 * text's values one by one (text.ts), the markdown's markdown-escaped where they are written
 * (markdown.ts), the page's escaped for HTML (html.ts). The command knows the outputs only through
 * this table: another output is a file here and a row.
 */
import { displaySafe, jsonSafe } from "../../incident/display.ts";
import type { Review } from "../core/findings.ts";
import type { ReviewContext } from "./context.ts";
import { renderHtml } from "./html.ts";
import { renderJsonChunks } from "./json.ts";
import { renderMarkdown } from "./markdown.ts";
import { renderText } from "./text.ts";

export interface Format {
  /** The flag that asks for it; null for the output written when no flag does. */
  flag: string | null;
  /**
   * Where it goes: stdout (one stdout format at most, a boolean flag), or the file the flag names
   * (`--html FILE`), beside whichever goes to stdout.
   * @default "stdout"
   */
  to?: "stdout" | "file";
  /** Its line under `review --help`'s options. */
  usage: string;
  /** The review in this format, in pieces written one after the other, each safe to print. */
  render(review: Review, context: ReviewContext): Iterable<string>;
}

/** What the JSON's pieces are gathered into before they go out, in UTF-16 units. */
const BATCH = 64 * 1024;

/** Every output; stdout's flags are checked in this order (`--json and --markdown cannot be used together`). */
export const FORMATS = {
  // Its values escaped one by one: escaping the whole would keep a line break inside a value.
  text: { flag: null, usage: "", render: (review, context) => [renderText(review, context)] },
  // Made in pieces of whole lines, each made safe: every event is in it, never whole in memory. The
  // pieces go out a batch at a time, not a write each (six thousand events are six thousand pieces).
  json: {
    flag: "json",
    usage: "  --json             the review as JSON: keys, events, persistence, rolesAssumed and more",
    *render(review, context) {
      let batch = "";
      for (const piece of renderJsonChunks(review, context)) {
        batch += jsonSafe(piece);
        if (batch.length < BATCH) continue;
        yield batch;
        batch = "";
      }
      if (batch !== "") yield batch;
    },
  },
  markdown: {
    flag: "markdown",
    usage:
      "  --markdown         the review as markdown, for a pull request comment, with its timeline and blast radius",
    render: (review, context) => [displaySafe(renderMarkdown(review, context))],
  },
  html: {
    flag: "html",
    to: "file",
    usage: "  --html FILE        also write the review as one self-contained HTML page, its pictures drawn inline",
    render: (review, context) => [renderHtml(review, context)],
  },
} as const satisfies Record<string, Format>;

export type FormatName = keyof typeof FORMATS;

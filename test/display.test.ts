/**
 * What cordon prints of a file's or AWS's text: no raw control character, no line that GitHub's
 * runner would read as a workflow command, and never two different inputs shown the same. Checked
 * over generated strings biased towards the characters that matter (ESC sequences, C1 controls,
 * bidi overrides, zero-width spaces, `::`, `##[`, backslashes before `u`), and over arbitrary ones.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  displaySafe,
  displayValue,
  displayValues,
  isUnsafeCharacter,
  jsonSafe,
  markdownSafe,
} from "../incident/display.ts";

/** The inverse of the escaping: `\uXXXX` and `\u{X}` are characters, `\\` before them a backslash. */
function decode(shown: string): string {
  let out = "";
  for (let i = 0; i < shown.length; i++) {
    const char = shown[i];
    if (char !== "\\") {
      out += char;
      continue;
    }
    const next = shown[i + 1];
    if (next === "\\") {
      out += "\\";
      i++;
    } else if (next === "u" && shown[i + 2] === "{") {
      const end = shown.indexOf("}", i);
      out += String.fromCodePoint(parseInt(shown.slice(i + 3, end), 16));
      i = end;
    } else if (next === "u") {
      out += String.fromCharCode(parseInt(shown.slice(i + 2, i + 6), 16));
      i += 5;
    } else {
      out += char;
    }
  }
  return out;
}

/** The inverse of `markdownSafe`. */
function unmarkdown(markdown: string): string {
  // Every unescaped zero-width space is markdownSafe's own: a `&` of the value is always escaped.
  return markdown.replace(/&#8203;|\\u000a|\\([\s\S])/g, (match, escaped: string | undefined) =>
    match === "&#8203;" ? "" : match === "\\u000a" ? "\n" : (escaped as string),
  );
}

const DANGEROUS = [
  "::",
  "::error::boom",
  "::add-mask::x",
  "##[",
  "##[error]",
  "#",
  ":",
  " ",
  "\t",
  "\n",
  "\r",
  "\r\n",
  "\\",
  "u",
  "\\u",
  "\\u001b",
  "\\\\",
  "{",
  "}",
  "\u0000",
  "\u0007",
  "\u001b",
  "\u001b[2J",
  "\u001b]8;;https://evil.example\u0007",
  "\u007f",
  "\u0085",
  "\u009b",
  "\u009b31m",
  "\u202e",
  "\u2066",
  "\u2069",
  "\u200e",
  "\u200b",
  "\u200d",
  "\ufeff",
  "\u00a0",
  "\u3000",
  "\u2028",
  "\u2029",
  "\u00ad",
  "\ud800",
  "\udc00",
  "\u{e0041}",
  "\u{1f600}",
  "é",
  "日本",
  "@",
  "@team",
  "[x](https://evil.example)",
  "![i](https://evil.example/p.png)",
  "`",
  "<img src=x>",
  "|",
  "*",
  "_",
  "https://evil.example",
  "www.evil.example",
  "$x$",
  "#1",
  "octo-org/infra#12",
  "GH-7",
  "gh-",
  "1",
  "&#8203;",
];

/** Strings built from the dangerous pieces and arbitrary text, including lone surrogates. */
const hostile = fc.oneof(
  fc
    .array(fc.oneof(fc.constantFrom(...DANGEROUS), fc.string({ unit: "binary", maxLength: 6 })), { maxLength: 12 })
    .map((parts) => parts.join("")),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.constantFrom(...DANGEROUS) }),
);

const RUNS = { numRuns: 2000 };
/** A workflow command as the runner reads it: `::` at the start after .NET's white space, or `##[` anywhere. */
const COMMAND_LINE = /^[\s\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*::/u;
const rawUnsafe = (text: string) => Array.from(text).filter((char) => char !== "\n" && isUnsafeCharacter(char));

describe("displaySafe: whole texts to print", () => {
  it("leaves no raw unsafe character, no line that starts with ::, no ##[", () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const shown = displaySafe(text);
        expect(rawUnsafe(shown)).toEqual([]);
        for (const line of shown.split("\n")) expect(COMMAND_LINE.test(line)).toBe(false);
        expect(shown.includes("##[")).toBe(false);
      }),
      RUNS,
    );
  });

  it("keeps every line: line breaks stay, and nothing else becomes one", () => {
    fc.assert(
      fc.property(hostile, (text) => {
        expect(displaySafe(text).split("\n").length).toBe(text.split("\n").length);
      }),
      RUNS,
    );
  });

  it("is injective: the input decodes back from the output, so two inputs are never shown the same", () => {
    fc.assert(
      fc.property(hostile, (text) => {
        expect(decode(displaySafe(text))).toBe(text);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        fc.pre(a !== b);
        expect(displaySafe(a)).not.toBe(displaySafe(b));
      }),
      RUNS,
    );
  });

  it("leaves ordinary text as it is", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme-ascii" }).filter((t) => !/[\\:#\x00-\x1f\x7f]/.test(t)),
        (text) => {
          expect(displaySafe(text)).toBe(text);
        },
      ),
      RUNS,
    );
    expect(
      displaySafe(
        "incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key is active until 2026-11-29T22:00:00Z (10 h left)",
      ),
    ).toBe(
      "incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key is active until 2026-11-29T22:00:00Z (10 h left)",
    );
    expect(displaySafe("C:\\Users\\dana\\incidents\\x.yaml")).toBe("C:\\Users\\dana\\incidents\\x.yaml");
    expect(displaySafe("ok ✓ → ✗ · café 日本")).toBe("ok ✓ → ✗ · café 日本");
  });

  it.each([
    ["an ESC sequence", "title \u001b[2J\u001b[31mred", "title \\u001b[2J\\u001b[31mred"],
    ["a C1 CSI", "a\u009b31mb", "a\\u009b31mb"],
    ["DEL", "a\u007fb", "a\\u007fb"],
    ["a bidi override", "deploy\u202etxt.exe", "deploy\\u202etxt.exe"],
    ["a zero-width space and a no-break space", "dep\u200bloy\u00a0x", "dep\\u200bloy\\u00a0x"],
    ["a carriage return that would overwrite the line", "ok\rerror", "ok\\u000derror"],
    [
      "a workflow command at the start of a line",
      "::add-mask::x\n  ::error::boom",
      "\\u003a:add-mask::x\n  \\u003a:error::boom",
    ],
    ["a workflow command after a tab", "\t::error::boom", "\\u0009::error::boom"],
    ["a legacy workflow command anywhere", "see ##[error]boom", "see #\\u0023[error]boom"],
    [
      "a backslash before u, before a backslash, before an escape",
      "\\u001b \\\\ \\\u001b",
      "\\\\u001b \\\\\\ \\\\\\u001b",
    ],
    ["a character beyond the basic plane that is invisible", "a\u{e0041}b", "a\\u{e0041}b"],
    ["a lone surrogate", "a\ud800b", "a\\ud800b"],
  ])("%s", (_, text, shown) => {
    expect(displaySafe(text)).toBe(shown);
    expect(decode(shown)).toBe(text);
  });
});

describe("displayValue: one value on one line", () => {
  it("escapes line breaks too, and is injective", () => {
    fc.assert(
      fc.property(hostile, (value) => {
        const shown = displayValue(value);
        expect(shown.includes("\n")).toBe(false);
        expect(rawUnsafe(shown)).toEqual([]);
        expect(COMMAND_LINE.test(shown)).toBe(false);
        expect(shown.includes("##[")).toBe(false);
        expect(decode(shown)).toBe(value);
      }),
      RUNS,
    );
  });

  it("displayValues escapes every string of a structure, keys included", () => {
    expect(displayValues({ "a\u001b": ["::x", 1, null, { b: "\u202e" }] })).toEqual({
      "a\\u001b": ["\\u003a:x", 1, null, { b: "\\u202e" }],
    });
  });
});

describe("jsonSafe: JSON output", () => {
  const json = fc.jsonValue().chain((value) => fc.constant(value));
  const hostileJson = fc.oneof(json, fc.dictionary(hostile, hostile), fc.array(hostile));

  it("means the same JSON, with no raw unsafe character and no ##[", () => {
    fc.assert(
      fc.property(hostileJson, (value) => {
        const text = jsonSafe(JSON.stringify(value, null, 2));
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(rawUnsafe(text)).toEqual([]);
        expect(text.includes("##[")).toBe(false);
        for (const line of text.split("\n")) expect(COMMAND_LINE.test(line)).toBe(false);
      }),
      RUNS,
    );
  });
});

describe("markdownSafe: values inside --markdown", () => {
  /** Markup that would act: a link or image, raw HTML, code, a mention, an autolink. */
  const ACTIVE = [
    /(^|[^\\])\]\(/,
    /(^|[^\\])!\[/,
    /(^|[^\\])<[A-Za-z/!?]/,
    /(^|[^\\])`/,
    /@[A-Za-z0-9]/,
    /(^|[^\\])https?:\/\//,
    /(^|[^A-Za-z0-9\\])www\./i,
    /(^|[^\\])\|/,
    // GitHub's autolinked references to issues and pull requests: #1, octo-org/infra#12, GH-7.
    /(?<!&)#[0-9]/,
    /gh-[0-9]/i,
  ];

  it("holds no active markup, and is injective", () => {
    fc.assert(
      fc.property(hostile, (value) => {
        const markdown = markdownSafe(value);
        for (const pattern of ACTIVE) expect(pattern.test(markdown)).toBe(false);
        expect(markdown.includes("\n")).toBe(false);
        expect(unmarkdown(markdown)).toBe(value);
      }),
      RUNS,
    );
  });

  it.each([
    ["a link", "[click](https://evil.example)", "\\[click\\](https\\://evil.example)"],
    ["an image", "![x](y)", "\\!\\[x\\](y)"],
    ["an autolink", "see www.evil.example or WWW.x.y", "see www\\.evil.example or WWW\\.x.y"],
    ["a mention", "@security-team", "@&#8203;security-team"],
    ["HTML", "<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"],
    ["emphasis and math", "*a* _b_ ~c~ $x$", "\\*a\\* \\_b\\_ \\~c\\~ \\$x\\$"],
    [
      "a timestamp, a user agent and a path stay readable",
      "2023-07-10T11:54:47Z aws-cli/2.13.0 md/Botocore#1.29 C:\\x",
      "2023-07-10T11:54:47Z aws-cli/2.13.0 md/Botocore#&#8203;1.29 C:\\\\x",
    ],
    ["an issue reference", "aws-cli/2.15.0 see #1", "aws-cli/2.15.0 see #&#8203;1"],
    ["another repository's issue", "Boto3/1.34 octo-org/infra#12", "Boto3/1.34 octo-org/infra#&#8203;12"],
    ["a GH- reference, in any case", "GH-7 fixed, gh-8 too", "GH&#8203;-7 fixed, gh&#8203;-8 too"],
    ["the zero-width space itself, as a value writes it", "#&#8203;1", "#&#8203;\\&#&#8203;8203;1"],
    ["backticks", "`code`", "\\`code\\`"],
    ["a table cell break", "a|b", "a\\|b"],
    ["a line break", "a\nb", "a\\u000ab"],
  ])("%s", (_, value, markdown) => {
    expect(markdownSafe(value)).toBe(markdown);
  });

  it("then displaySafe over the whole markdown keeps both properties", () => {
    fc.assert(
      fc.property(hostile, (value) => {
        const shown = displaySafe(`| ${markdownSafe(value)} |`);
        expect(rawUnsafe(shown)).toEqual([]);
        expect(unmarkdown(decode(shown).slice(2, -2))).toBe(value);
      }),
      RUNS,
    );
  });
});

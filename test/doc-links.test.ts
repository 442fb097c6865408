/**
 * Every relative link of the repository's Markdown files leads somewhere: the file exists, and a
 * `#anchor` names a heading of the Markdown file it points to, slugged as GitHub slugs headings
 * (lowercase; everything but letters, digits, `_`, `-` and spaces dropped; spaces become `-`; a
 * repeated heading gets `-1`, `-2`). A heading renamed without its links broke one before.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");

/**
 * Markdown without its fenced code blocks, where `](...)` and `# ...` are not links nor headings.
 * As CommonMark reads fences: a run of three or more backticks or tildes opens one, which only a
 * line of at least as many of the same character closes (a ```` block may hold ``` lines).
 */
function prose(text: string): string {
  const kept: string[] = [];
  let open: string | undefined;
  for (const line of text.split("\n")) {
    const fence = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (open === undefined) {
      if (fence === undefined) kept.push(line);
      else open = fence;
    } else if (fence !== undefined && fence[0] === open[0] && fence.length >= open.length && line.trim() === fence) {
      open = undefined;
    }
  }
  return kept.join("\n");
}

/** The anchors GitHub gives the headings of a Markdown text. */
function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of prose(text).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = match[1]
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}_\- ]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every relative link of a Markdown file, as `[file, target]`. */
function links(file: string): [string, string][] {
  const text = prose(readFileSync(join(ROOT, file), "utf8"));
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1])
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .map((target) => [file, target]);
}

const markdown = execFileSync("git", ["ls-files", "*.md"], { cwd: ROOT, encoding: "utf8" })
  .split("\n")
  .filter((file) => file !== "" && existsSync(join(ROOT, file)));

describe("GitHub's heading anchors", () => {
  it("as GitHub makes them: punctuation and backticks dropped, spaces to hyphens, repeats numbered", () => {
    expect([
      ...headingAnchors(
        "# A key leaked? Contain it first\n## `permissions [--policy NAME] [--json]`\n## Setup\n## Setup\n````\n# not a heading\n```\n# nor this\n````\n",
      ),
    ]).toEqual(["a-key-leaked-contain-it-first", "permissions---policy-name---json", "setup", "setup-1"]);
  });
});

describe("the Markdown files' relative links", () => {
  it("are found in the README and the docs", () => {
    expect(markdown).toEqual(expect.arrayContaining(["README.md", "docs/lifecycle.md", "docs/program.md"]));
    expect(links("docs/lifecycle.md").length).toBeGreaterThan(10);
  });

  it.each(markdown.flatMap(links))("%s: %s", (file, target) => {
    const [path, anchor] = target.split("#", 2);
    const resolved = path === "" ? file : normalize(join(dirname(file), decodeURI(path)));
    expect(existsSync(join(ROOT, resolved)), `${resolved} does not exist`).toBe(true);
    if (anchor !== undefined && resolved.endsWith(".md")) {
      expect([...headingAnchors(readFileSync(join(ROOT, resolved), "utf8"))]).toContain(anchor);
    }
  });
});

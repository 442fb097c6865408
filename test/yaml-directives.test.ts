/**
 * A file means the same whatever its YAML directives say. `%YAML 1.1` would switch the yaml
 * library to YAML 1.1's types: a plain timestamp becomes a date (`cutoff: found a mapping`), `on` a
 * boolean, `<<` a merge key the project reader's check does not see. Every incident file, Pulumi.yaml
 * and stack file is read with YAML 1.2's core schema (incident/yaml.ts, HOSTILE_YAML_OPTIONS).
 * Over generated incident sets wrapped in generated directives and tags: the same incidents as
 * without them, or an E_YAML_TAG error on the tagged field.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import { loadIncidents } from "../incident/load.ts";
import { readProjectFiles } from "../plan/project.ts";
import { GENERATED_NOW, incidentSet, toFiles } from "./support/generators.ts";

const YAML_TAGS = "tag:yaml.org,2002:";

/** A `%TAG` directive: a handle and the prefix it stands for. */
const tagDirective = fc.record({
  handle: fc.constantFrom("!!", "!e!"),
  prefix: fc.constantFrom(YAML_TAGS, "tag:example.com,2026:"),
});

/** Directives before `---`, and maybe a tag written on the cutoff's value. */
const wrapping = fc.record({
  version: fc.constantFrom(undefined, "1.1", "1.2"),
  tags: fc.uniqueArray(tagDirective, { maxLength: 2, selector: (t) => t.handle }),
  comment: fc.boolean(),
  end: fc.boolean(),
  cutoffTag: fc.constantFrom(undefined, "!!str", "!e!str", "!!timestamp", "!e!timestamp", "!<tag:yaml.org,2002:str>"),
});
type Wrapping = typeof wrapping extends fc.Arbitrary<infer T> ? T : never;

function wrap(text: string, w: Wrapping): string {
  const directives = [
    ...(w.version === undefined ? [] : [`%YAML ${w.version}`]),
    ...w.tags.map((t) => `%TAG ${t.handle} ${t.prefix}`),
  ];
  const body = w.cutoffTag === undefined ? text : text.replace(/^cutoff: /m, `cutoff: ${w.cutoffTag} `);
  return `${w.comment ? "# written by hand\n" : ""}${directives.map((d) => `${d}\n`).join("")}---\n${body}${w.end ? "...\n" : ""}`;
}

/**
 * The tag the cutoff's value ends up with, as YAML resolves the handle: undefined without one,
 * null for a handle no `%TAG` declares (`!!` is always declared).
 */
function resolvedTag(w: Wrapping): string | null | undefined {
  if (w.cutoffTag === undefined) return undefined;
  const verbatim = /^!<(.*)>$/.exec(w.cutoffTag);
  if (verbatim) return verbatim[1];
  const [, handle, suffix] = /^(!\w*!)(.*)$/.exec(w.cutoffTag) as RegExpExecArray;
  const prefix = w.tags.find((t) => t.handle === handle)?.prefix ?? (handle === "!!" ? YAML_TAGS : undefined);
  return prefix === undefined ? null : prefix + suffix;
}

describe("directives and tags around a valid incident file", () => {
  it("give the same incidents as the file without them, or an E_YAML_TAG error on the tagged field", () => {
    fc.assert(
      fc.property(incidentSet, fc.array(wrapping, { minLength: 5, maxLength: 5 }), (incidents, wrappings) => {
        const files = toFiles(incidents);
        const plain = loadIncidents(files, { now: GENERATED_NOW });
        expect(plain.errors).toEqual([]);
        const wrapped = files.map((file, i) => ({ ...file, text: wrap(file.text, wrappings[i]) }));
        const result = loadIncidents(wrapped, { now: GENERATED_NOW });
        // Each file whose cutoff carries a tag other than !!str: its one error, on the cutoff's line.
        const refused = wrapped.flatMap((file, i) => {
          const tag = resolvedTag(wrappings[i]);
          if (tag === undefined || tag === `${YAML_TAGS}str`) return [];
          const line = file.text.split("\n").findIndex((l) => l.startsWith("cutoff: ")) + 1;
          // A handle no %TAG declares is YAML's own error; any other tag is cordon's.
          return [
            tag === null
              ? [file.path, line, "E_YAML_SYNTAX", `Could not resolve tag: ${wrappings[i].cutoffTag}`]
              : [file.path, line, "E_YAML_TAG", "cutoff"],
          ];
        });
        if (refused.length === 0) {
          expect(result.errors).toEqual([]);
          expect(result.incidents).toEqual(plain.incidents);
        } else {
          expect(result.incidents).toEqual([]);
          expect(
            result.errors.map((e) => [
              e.file,
              e.line,
              e.code,
              e.code === "E_YAML_TAG" ? e.message.split(":")[0] : e.message,
            ]),
          ).toEqual(refused);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("%YAML 1.1 keeps a timestamp written plain a string: the cutoff and holdUntil it names", () => {
    const text =
      '%YAML 1.1\n---\nid: held\ntitle: Held\naccount: "123456789012"\ncutoff: 2026-11-28T10:00:00+05:00\nholdUntil: 2026-11-30T10:00:00+05:00\nroles:\n  - name: deploy\n';
    const result = loadIncidents([{ path: "incidents/held.yaml", text }], { now: GENERATED_NOW });
    expect(result.errors.map(formatDiagnostic)).toEqual([]);
    expect(result.incidents.map((i) => [i.cutoff, i.holdUntil])).toEqual([
      ["2026-11-28T05:00:00Z", "2026-11-30T05:00:00Z"],
    ]);
  });
});

describe("directives around Pulumi.yaml and a stack file", () => {
  const A = "123456789012";
  const MERGE =
    "a merge key (<<): Pulumi's YAML reader merges its mapping into this one, cordon's (YAML 1.2) has none, so guard would not see what Pulumi applies: write the keys out";

  it.each(["", "%YAML 1.2\n---\n", "%YAML 1.1\n---\n"])("%j: the merge key is refused, `on` is the text on", (head) => {
    const result = readProjectFiles(
      {
        path: "Pulumi.yaml",
        text: `${head}name: cordon\nruntime: nodejs\ndefaults: &dir\n  default: elsewhere\nconfig:\n  cordon:incidentsDir:\n    type: string\n    <<: *dir\n`,
      },
      [
        {
          path: `Pulumi.prod-${A}.yaml`,
          text: `${head}config:\n  cordon:account: "${A}"\n  cordon:autoContain: on\n  cordon:autoContainRepository: a/b\n`,
        },
      ],
    );
    const shift = head.split("\n").length - 1;
    expect(result.problems.map(formatDiagnostic)).toEqual([
      `Pulumi.prod-${A}.yaml:${3 + shift}:23 E_SETTING cordon:autoContain: found "on", expected true or false`,
      `Pulumi.yaml:${8 + shift}:5 E_PROJECT_FILE ${MERGE}`,
    ]);
  });
});

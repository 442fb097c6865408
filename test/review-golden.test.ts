/**
 * The review's output on the recordings in test/fixtures/cloudtrail, pinned byte for byte: the
 * outputs of the whole-file reader (41dd335), with four changes since: the top-level `conflicts`
 * list of the JSON (issue 10.7), the markdown's cells escaped as text (issue 10.10, on main), the
 * accounts reached (issue 11.4: `accounts` in the JSON, a section in the text and the markdown),
 * and the markdown's tables cut to their first rows and cells to their first bytes (the tables of
 * other findings, writes and user agents count the rest). A reader that reads differently must
 * not review differently.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { fromRecord, type ReviewEvent } from "../review/core/event.ts";
import { followChain } from "../review/core/chain.ts";
import { analyze } from "../review/core/findings.ts";
import { logSource } from "../review/logs/two-passes.ts";
import { renderJson } from "../review/render/json.ts";
import { trailRecord } from "../emulators/cloudtrail-server.ts";

const REPO = resolve(import.meta.dirname, "..");
const GOLDEN = join(REPO, "test", "fixtures", "review-golden");
const LOGS = "test/fixtures/cloudtrail";

const cases: [string, string[]][] = [
  ["review-invictus-json", ["--access-key", "AKIATFQR7NSC8Q4X20BJ", "--from-logs", `${LOGS}/invictus-aws`, "--json"]],
  ["review-invictus-md", ["--access-key", "AKIATFQR7NSC8Q4X20BJ", "--from-logs", `${LOGS}/invictus-aws`, "--markdown"]],
  ["review-invictus-text", ["--access-key", "AKIATFQR7NSC8Q4X20BJ", "--from-logs", `${LOGS}/invictus-aws`]],
  ...["AKIA6V1GNZTT65XQH36M", "AKIAW9X2Q2U25SK79UCX", "AKIAAM80VXLJF8NPK4VC", "AKIAZI86ACIZ2J9CV86Z"].map(
    (key): [string, string[]] => [
      `review-stratus-${key}`,
      ["--access-key", key, "--from-logs", `${LOGS}/stratus-red-team`, "--json"],
    ],
  ),
];

describe("review's output on the recordings, pinned", () => {
  it.each(cases)("%s", async (name, flags) => {
    const io = memoryIo({ cwd: REPO });
    expect(await main(["review", ...flags], io)).toBe(0);
    expect(io.stderr).toBe(readFileSync(join(GOLDEN, `${name}.err`), "utf8"));
    // Compared as text, not with toEqual's diff of a 2.5 MB string: the first differing line is enough.
    const expected = gunzipSync(readFileSync(join(GOLDEN, `${name}.out.gz`))).toString("utf8");
    if (io.stdout !== expected) {
      const got = io.stdout.split("\n");
      const line = expected.split("\n").findIndex((text, i) => text !== got[i]);
      expect(got[line], `line ${line + 1}`).toBe(expected.split("\n")[line]);
    }
    expect(io.stdout === expected).toBe(true);
  });
});

describe("the JSON, written in pieces", () => {
  it("is what JSON.stringify(document, null, 2) writes whole, for any request parameters", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.jsonValue(), fc.jsonValue()), { maxLength: 6 }), async (parameters) => {
        const events = parameters.map(([requestParameters, responseElements], i) => {
          const event = fromRecord(
            trailRecord({
              eventId: `e${i}`,
              eventName: "DescribeInstances",
              eventTime: "2026-11-28T02:00:00Z",
              region: "us-east-1",
              accessKeyId: "AKIAEXAMPLEROOT00001",
              requestParameters,
              responseElements,
            }),
          );
          return event as ReviewEvent;
        });
        const review = analyze(
          await followChain("AKIAEXAMPLEROOT00001", { start: null, end: null }, logSource(events)),
        );
        const json = renderJson(review, {
          source: { kind: "logs", dir: ".", files: 1 },
          sourceSummary: "1 log file under .",
          notEnabled: [],
          failed: [],
        });
        // Pretty-printed JSON is a fixed point of parse and stringify: any other layout is not.
        expect(json).toBe(`${JSON.stringify(JSON.parse(json), null, 2)}\n`);
        expect(JSON.parse(json).events).toHaveLength(events.length);
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * The review's output on the recordings in test/fixtures/cloudtrail, pinned byte for byte: the
 * outputs of the whole-file reader (41dd335), with one change since, the top-level `conflicts`
 * list of the JSON. A reader that reads differently must not review differently.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";

const REPO = resolve(import.meta.dirname, "..");
const GOLDEN = join(REPO, "test", "fixtures", "review-golden");
const LOGS = "test/fixtures/cloudtrail";

const cases: [string, string[]][] = [
  ["review-invictus-json", ["--access-key", "AKIATFQR7NSC8Q4X20BJ", "--from-logs", `${LOGS}/invictus-aws`, "--json"]],
  ["review-invictus-md", ["--access-key", "AKIATFQR7NSC8Q4X20BJ", "--from-logs", `${LOGS}/invictus-aws`, "--markdown"]],
  ["review-invictus-text", ["--access-key", "AKIATFQR7NSC8Q4X20BJ", "--from-logs", `${LOGS}/invictus-aws`]],
  ...["AKIA6V1GNZTT65XQH36M", "AKIAW9X2Q2U25SK79UCX", "AKIAAM80VXLJF8NPK4VC", "AKIAZI86ACIZ2J9CV86Z"].map((key): [string, string[]] => [`review-stratus-${key}`, ["--access-key", key, "--from-logs", `${LOGS}/stratus-red-team`, "--json"]]),
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

/**
 * What the tests of `review` on log files share: a folder written from files, a record of the
 * reviewed key, the context the renderers are given for one log file, and the invictus-aws
 * recording's review as users call it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { trailRecord } from "../../emulators/cloudtrail-server.ts";
import type { ReviewContext } from "../../review/render/context.ts";

/** The reviewed key of generated logs. */
export const KEY = "AKIAEXAMPLEROOT00001";

/** The invictus-aws recording (test/fixtures/cloudtrail), relative to the repository, and its key. */
export const INVICTUS_LOGS = "test/fixtures/cloudtrail/invictus-aws";
export const INVICTUS_KEY = "AKIATFQR7NSC8Q4X20BJ";
/** `review`'s flags for the recording, run from the repository. */
export const INVICTUS = ["--access-key", INVICTUS_KEY, "--from-logs", INVICTUS_LOGS];

/** A new folder holding `files` (names may hold folders), for `--from-logs`. */
export function logFolder(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(join(tmpdir(), "cordon-logs-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

/** A DescribeInstances of {@link KEY} in us-east-1, with `fields` over it. */
export const keyRecord = (id: string, fields: Partial<Parameters<typeof trailRecord>[0]> = {}) =>
  trailRecord({
    eventId: id,
    eventName: "DescribeInstances",
    eventTime: "2026-11-28T02:00:00Z",
    region: "us-east-1",
    accessKeyId: KEY,
    ...fields,
  });

/** The renderers' context for a review of one log file under `.`. */
export const ONE_LOG_FILE: ReviewContext = {
  source: { kind: "logs", dir: ".", files: 1 },
  sourceSummary: "1 log file under .",
  notEnabled: [],
  failed: [],
};

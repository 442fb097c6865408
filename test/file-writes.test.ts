/**
 * The files the command line writes (`review --html FILE`): whole or not at
 * all, and never through a symbolic link someone planted in a shared folder at a name the writer
 * would use (it wrote FILE.PID.tmp, a name anyone could predict, and followed a link there).
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { writeFileWhole } from "../cli/files.ts";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { trailRecord } from "../emulators/cloudtrail-server.ts";

const KEY = "AKIAEXAMPLEROOT00001";
const PRECIOUS = "precious: the responder's own file\n";

/** A shared folder, and a file of someone else's that links planted there point to. */
function sharedFolder(): { dir: string; victim: string } {
  const root = mkdtempSync(join(tmpdir(), "cordon-file-writes-"));
  const dir = join(root, "shared");
  mkdirSync(dir);
  const victim = join(root, "victim.txt");
  writeFileSync(victim, PRECIOUS);
  return { dir, victim };
}

/** Names a writer beside `report.html` could use, as an attacker would guess them, and any others. */
const planted = fc.oneof(
  fc.constantFrom(
    `report.html.${process.pid}.tmp`,
    "report.html.tmp",
    ".report.html.tmp",
    "report.html~",
    `.report.html.${process.pid}.tmp`,
  ),
  fc.stringMatching(/^\.report\.html\.[0-9a-f]{1,24}\.tmp$/),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,30}$/).filter((name) => name !== "." && name !== ".." && name !== "report.html"),
);

describe("writeFileWhole", () => {
  it("never writes through a link planted beside the file, and leaves only the file (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(planted, { maxLength: 6 }),
        fc.array(fc.string(), { maxLength: 5 }),
        (names, pieces) => {
          const { dir, victim } = sharedFolder();
          for (const name of names) symlinkSync(victim, join(dir, name));
          const file = join(dir, "report.html");
          writeFileWhole(file, pieces);
          expect(readFileSync(victim, "utf8")).toBe(PRECIOUS);
          expect(lstatSync(file).isFile()).toBe(true);
          expect(readFileSync(file, "utf8")).toBe(pieces.join(""));
          expect(readdirSync(dir).sort()).toEqual([...names, "report.html"].sort());
        },
      ),
      { numRuns: 50 },
    );
  });

  it("replaces a link at the file's own name with the file, leaving what it pointed to as it was", () => {
    const { dir, victim } = sharedFolder();
    const file = join(dir, "report.html");
    symlinkSync(victim, file);
    writeFileWhole(file, ["<html>", "</html>\n"]);
    expect(readFileSync(victim, "utf8")).toBe(PRECIOUS);
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readFileSync(file, "utf8")).toBe("<html></html>\n");
  });

  it("on failure leaves nothing of its own behind, and the file as it was", () => {
    const { dir } = sharedFolder();
    const file = join(dir, "report.html");
    mkdirSync(file);
    expect(() => writeFileWhole(file, ["page"])).toThrow();
    expect(readdirSync(dir)).toEqual(["report.html"]);
    const pieces = (function* () {
      yield "half a page";
      throw new Error("the render failed");
    })();
    const other = join(dir, "other.html");
    writeFileSync(other, "the last review\n");
    expect(() => writeFileWhole(other, pieces)).toThrow("the render failed");
    expect(readFileSync(other, "utf8")).toBe("the last review\n");
    expect(readdirSync(dir).sort()).toEqual(["other.html", "report.html"]);
  });
});

describe("review --html in a shared folder", () => {
  it("writes the page, not the file a link at FILE.PID.tmp points to", async () => {
    const { dir, victim } = sharedFolder();
    const logs = mkdtempSync(join(tmpdir(), "cordon-file-writes-logs-"));
    writeFileSync(
      join(logs, "111122223333_CloudTrail_us-east-1_20261128T0205Z_abc.json"),
      JSON.stringify({
        Records: [
          trailRecord({
            eventId: "e1",
            eventName: "ListBuckets",
            eventTime: "2026-11-28T02:00:00Z",
            region: "us-east-1",
            accessKeyId: KEY,
          }),
        ],
      }),
    );
    // The name the writer used: this process's id, as `review` runs in it here.
    symlinkSync(victim, join(dir, `report.html.${process.pid}.tmp`));
    const io = memoryIo();
    expect(
      await main(["review", "--access-key", KEY, "--from-logs", logs, "--html", join(dir, "report.html")], io),
    ).toBe(0);
    expect(readFileSync(victim, "utf8")).toBe(PRECIOUS);
    expect(lstatSync(join(dir, "report.html")).isFile()).toBe(true);
    expect(readFileSync(join(dir, "report.html"), "utf8")).toMatch(/^<!doctype html>/i);
    expect(existsSync(join(dir, `report.html.${process.pid}.tmp`))).toBe(true);
  });
});

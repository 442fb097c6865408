/**
 * A review never looks clean by mistake (issue 22, item 5): a key found nowhere is said, with the
 * window and the source, and exits 3; a logged value never makes a line of the text report of its
 * own; the YAML library never prints a file's text. (A region or a bucket's part that cannot be
 * read: review-server.test.ts and review-s3.test.ts; API failures in one line: review-reader.test.ts.)
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { EXIT_NOT_FOUND } from "../commands/review.ts";
import { isUnsafeCharacter } from "../incident/display.ts";
import { KEY, keyRecord, logFolder } from "./support/review-logs.ts";

const REPO = resolve(import.meta.dirname, "..");
const run = promisify(execFile);

const keyId = fc
  .tuple(fc.constantFrom("AKIA", "ASIA"), fc.stringMatching(/^[A-Z0-9]{16}$/))
  .map(([prefix, rest]) => prefix + rest);

describe("a key that appears in no event read", () => {
  it("is said in every output, naming the window and the source, and exits 3", async () => {
    await fc.assert(
      fc.asyncProperty(
        keyId.filter((key) => key !== KEY),
        fc.integer({ min: 0, max: 20 }),
        async (missing, others) => {
          const dir = logFolder({
            "trail.json": JSON.stringify({ Records: Array.from({ length: others }, (_, i) => keyRecord(`e${i}`)) }),
          });
          const window = ["--since", "2026-11-28T00:00:00Z", "--until", "2026-11-28T06:00:00Z"];
          const said = `NOT FOUND: ${missing} appears in no event read (1 log file under . · 2026-11-28T00:00:00Z → 2026-11-28T06:00:00Z). Check the key id, the window (--since, --until) and the source: a key not used in the window leaves no trace there. This is not a clean review.`;
          const outputs: Record<string, string> = {};
          for (const format of ["text", "markdown", "json"]) {
            const io = memoryIo({ cwd: dir });
            expect(
              await main(
                [
                  "review",
                  "--access-key",
                  missing,
                  "--from-logs",
                  ".",
                  ...window,
                  ...(format === "text" ? [] : [`--${format}`]),
                ],
                io,
              ),
            ).toBe(EXIT_NOT_FOUND);
            expect(io.stderr).toContain(`cordon review: ${said}\n`);
            outputs[format] = io.stdout;
          }
          expect(outputs.text.split("\n")).toContain(said);
          expect(outputs.markdown).toContain(`> ${said}\n`);
          const json = JSON.parse(outputs.json) as { review: { keyFound: boolean; complete: boolean } };
          expect(json.review).toMatchObject({ keyFound: false, complete: true });
        },
      ),
      { numRuns: 8 },
    );
  });

  it("exit 3 is documented in review --help and docs/review.md", async () => {
    const io = memoryIo();
    expect(await main(["review", "--help"], io)).toBe(0);
    expect(io.stdout).toContain("· 3 the key appears in no event read");
    expect(readFileSync(join(REPO, "docs", "review.md"), "utf8")).toMatch(/\| *3 *\| the key appears in no event read/);
  });

  it("an output file that cannot be written wins over a key found nowhere: exit 2, and both said", async () => {
    const dir = logFolder({ "trail.json": JSON.stringify({ Records: [keyRecord("e0")] }) });
    const io = memoryIo({ cwd: dir });
    const missing = "AKIAIOSFODNN7EXAMPLE";
    expect(
      await main(["review", "--access-key", missing, "--from-logs", ".", "--html", "no-such-folder/r.html"], io),
    ).toBe(2);
    expect(io.stderr).toContain("cordon review: --html no-such-folder/r.html: cannot write it (ENOENT)\n");
    expect(io.stderr).toContain(`cordon review: NOT FOUND: ${missing} appears in no event read`);
  });

  it("a key found once is a review like any other (exit 0, keyFound)", async () => {
    const dir = logFolder({ "trail.json": JSON.stringify({ Records: [keyRecord("e0")] }) });
    const io = memoryIo({ cwd: dir });
    expect(await main(["review", "--access-key", KEY, "--from-logs", ".", "--json"], io)).toBe(0);
    expect(JSON.parse(io.stdout).review.keyFound).toBe(true);
    expect(io.stderr).not.toContain("NOT FOUND");
  });
});

describe("a session minted before --since", () => {
  // The key mints a session at 09:00 that lives until the next evening; at 11:00 the session
  // creates a backdoor user; at 12:00 the key itself lists users. The review starts at 10:00.
  const SESSION = "ASIAEXAMPLESESSION01";
  const records = (keyInWindow: boolean) => [
    keyRecord("mint", {
      eventName: "GetSessionToken",
      eventTime: "2026-11-29T09:00:00Z",
      eventSource: "sts.amazonaws.com",
      readOnly: false,
      accountId: "111122223333",
      responseElements: { credentials: { accessKeyId: SESSION, expiration: "Nov 30, 2026, 9:00:00 PM" } },
    }),
    keyRecord("read-before", { eventName: "ListRoles", eventTime: "2026-11-29T09:30:00Z", accountId: "111122223333" }),
    keyRecord("backdoor", {
      eventName: "CreateUser",
      eventTime: "2026-11-29T11:00:00Z",
      eventSource: "iam.amazonaws.com",
      readOnly: false,
      accessKeyId: SESSION,
      accountId: "111122223333",
      requestParameters: { userName: "backdoor" },
    }),
    ...(keyInWindow
      ? [keyRecord("list", { eventName: "ListUsers", eventTime: "2026-11-29T12:00:00Z", accountId: "111122223333" })]
      : []),
  ];
  const review = async (keyInWindow: boolean, ...flags: string[]) => {
    const dir = logFolder({ "trail.json": JSON.stringify({ Records: records(keyInWindow) }) });
    const io = memoryIo({ cwd: dir });
    const window = ["--since", "2026-11-29T10:00:00Z", "--until", "2026-11-29T23:00:00Z"];
    const code = await main(["review", "--access-key", KEY, "--from-logs", ".", ...window, ...flags], io);
    return { code, stdout: io.stdout, stderr: io.stderr, dir };
  };

  it("is followed into the window: what it did there is reviewed, and its mint call is shown as before the window", async () => {
    const text = await review(true);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(
      [
        "2 events · 1 mint call before the window · 2 keys · 1 user · 1 persistence and escalation · 0 denied calls",
        "",
        "keys (minted and created keys are followed within their lifetime)",
        `  ${KEY}  the reviewed key  1 event`,
        `  └─ ${SESSION}  GetSessionToken 2026-11-29T09:00:00Z (before the window)  1 event`,
        "",
        "minted before the window, still alive at 2026-11-29T10:00:00Z and followed into it (1)",
        `  2026-11-29T09:00:00Z  GetSessionToken  by ${KEY}  → ${SESSION}  (us-east-1)`,
        "",
      ].join("\n"),
    );
    expect(text.stdout).toContain(
      `  2026-11-29T11:00:00Z  CreateUser  iam  userName=backdoor  by ${SESSION}  (us-east-1)\n`,
    );
    expect(text.stdout).toContain("  users:\n    - name: backdoor\n");
    expect(text.stdout).not.toContain("ListRoles");

    const json = await review(true, "--json");
    const parsed = JSON.parse(json.stdout) as {
      review: { keyFound: boolean };
      events: { eventId: string; beforeWindow?: boolean }[];
      persistence: { eventId: string }[];
    };
    expect(parsed.events.map((event) => [event.eventId, event.beforeWindow ?? false])).toEqual([
      ["mint", true],
      ["backdoor", false],
      ["list", false],
    ]);
    expect(parsed.persistence.map((finding) => finding.eventId)).toEqual(["backdoor"]);
    expect(parsed.review.keyFound).toBe(true);

    const markdown = await review(true, "--markdown");
    expect(markdown.stdout).toContain(
      [
        "#### Minted before the window, still alive at 2026-11-29T10:00:00Z and followed into it (1)",
        "",
        "| time | call | by | minted or created | region |",
        "|---|---|---|---|---|",
        `| 2026-11-29T09:00:00Z | GetSessionToken | ${KEY} | ${SESSION} | us-east-1 |`,
      ].join("\n"),
    );
    const html = await review(true, "--html", "review.html");
    expect(html.code).toBe(0);
    expect(readFileSync(join(html.dir, "review.html"), "utf8")).toContain(
      "<h2>Minted before the window, still alive at 2026-11-29T10:00:00Z and followed into it (1)</h2>",
    );
  });

  it("when the key itself made no call in the window, what its session did is the review, not NOT FOUND", async () => {
    const { code, stdout, stderr } = await review(false);
    expect(code).toBe(0);
    expect(stderr).not.toContain("NOT FOUND");
    expect(stdout).toContain(
      `  2026-11-29T11:00:00Z  CreateUser  iam  userName=backdoor  by ${SESSION}  (us-east-1)\n`,
    );
  });
});

/** Text a forged record can carry: line breaks of every kind, controls, bidi, and report lines of its own. */
const PIECES = [
  "\n",
  "\r\n",
  "\r",
  "\u2028",
  "\u2029",
  "\u0085",
  "\u000b",
  "\u000c",
  "\u001b[2J",
  "\u202e",
  "review of AKIAEXAMPLEROOT00001",
  "- ",
  "|",
  "`",
  "a",
];
const hostile = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: "binary", maxLength: 4 })), {
    minLength: 1,
    maxLength: 8,
  })
  .map((parts) => parts.join(""));

describe("the text report", () => {
  it("never starts a line with what follows a line break inside a logged value", async () => {
    // Each value: anything, a line break of any kind, then a report line of the attacker's choosing.
    const breaks = fc.constantFrom("\n", "\r\n", "\r", "\u2028", "\u2029", "\u0085", "\u000b", "\u000c");
    const forged = fc
      .tuple(hostile, breaks, hostile)
      .map(([before, lineBreak, after]) => `${before}${lineBreak}INJECTED ${after}`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ userAgent: forged, name: forged, user: forged, role: forged, bucket: forged }), {
          minLength: 1,
          maxLength: 4,
        }),
        async (values) => {
          const records = values.flatMap((v, i) => [
            keyRecord(`ua${i}`, { userAgent: v.userAgent, eventName: v.name }),
            keyRecord(`cu${i}`, {
              eventName: "CreateUser",
              eventSource: "iam.amazonaws.com",
              requestParameters: { userName: v.user },
            }),
            keyRecord(`ar${i}`, {
              eventName: "AssumeRole",
              eventSource: "sts.amazonaws.com",
              requestParameters: { roleArn: `arn:aws:iam::111122223333:role/${v.role}`, roleSessionName: "s" },
              responseElements: { credentials: { accessKeyId: `ASIAEXAMPLESESS0000${i}` } },
            }),
            keyRecord(`gb${i}`, {
              eventName: "PutBucketPolicy",
              eventSource: "s3.amazonaws.com",
              requestParameters: { bucketName: v.bucket },
            }),
          ]);
          const io = memoryIo({ cwd: logFolder({ "trail.json": JSON.stringify({ Records: records }) }) });
          expect(await main(["review", "--access-key", KEY, "--from-logs", "."], io)).toBe(0);
          expect(io.stdout.split("\n").filter((line) => /^\s*INJECTED/.test(line))).toEqual([]);
          expect([...io.stdout].filter((char) => char !== "\n" && isUnsafeCharacter(char))).toEqual([]);
          // The values are there, escaped: every forged user shows as the key tree's line of its own.
          expect(io.stdout.match(/ CreateUser 2026-11-28T02:00:00Z by AKIAEXAMPLEROOT00001 /g)).toHaveLength(
            new Set(values.map((v) => v.user)).size,
          );
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});

describe("the YAML library", () => {
  const yamlKey = fc
    .array(
      fc.oneof(
        fc.constantFrom("\u001b[31m", "::error::x", "\n", "secret-looking-text"),
        fc.string({ unit: "binary", maxLength: 6 }),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((parts) => parts.join(""));
  /** An incident whose map has a key that is a collection: the library's toJS warns about it, quoting it. */
  const incident = (text: string) =>
    `id: 2026-11-28-x\n? [ ${JSON.stringify(text)}, b ]: 1\n? { ${JSON.stringify(text)}: c }: 2\n`;

  it("never warns, whatever an incident file holds (validate, as users call it)", async () => {
    const warn = vi.spyOn(process, "emitWarning");
    try {
      await fc.assert(
        fc.asyncProperty(yamlKey, async (text) => {
          const dir = mkdtempSync(join(tmpdir(), "cordon-never-clean-"));
          mkdirSync(join(dir, "incidents"));
          writeFileSync(join(dir, "incidents", "a.yaml"), incident(text));
          const io = memoryIo({ cwd: dir });
          expect(await main(["validate", "incidents/a.yaml"], io)).toBe(1);
          expect(warn).not.toHaveBeenCalled();
        }),
        { numRuns: 30 },
      );
    } finally {
      warn.mockRestore();
    }
  });

  it("prints nothing of the file outside cordon's own escaped lines, in a process of its own", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-never-clean-"));
    mkdirSync(join(dir, "incidents"));
    writeFileSync(join(dir, "incidents", "a.yaml"), incident("planted\u001b[2Jtext"));
    const result = await run(process.execPath, [join(REPO, "cli", "cordon.js"), "validate", "incidents/a.yaml"], {
      cwd: dir,
    }).then(
      () => ({ code: 0, stderr: "" }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/Warning|stringified|planted\u001b/);
    expect(result.stderr).toContain("incidents/a.yaml:1:1 E_UNKNOWN_FIELD");
  });
});

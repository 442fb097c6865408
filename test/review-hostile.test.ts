/**
 * Review on hostile logs (issue 10, items 6 to 9): log files are attacker-influenced, so each
 * kind of input is generated, not written once. No input crashes the review or exhausts its
 * memory; two different events under one eventID are both kept and reported; a secret is never
 * printed, however it is encoded; a time without an offset means the same instant on every machine.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import {
  eventInstant,
  fromRecord,
  isCloudTrailInstant,
  MAX_NESTING,
  REDACTED,
  TOO_DEEP,
  type ReviewEvent,
} from "../review/core/event.ts";
import { redactText } from "../review/core/secrets.ts";
import { isSecretShaped } from "../incident/secrets.ts";
import { followChain } from "../review/core/chain.ts";
import { analyze } from "../review/core/findings.ts";
import { logSource } from "../review/logs/two-passes.ts";
import { MAX_PROBLEMS_PER_FILE } from "../review/logs/log-file.ts";
import { renderJson } from "../review/render/json.ts";
import { CELL_BYTES, GLANCE_END, MARKDOWN_ROWS, renderMarkdown } from "../review/render/markdown.ts";
import { renderText } from "../review/render/text.ts";
import { UNKNOWN_ACCOUNT_LINE } from "../review/render/parts.ts";
import { ACCOUNT_ID } from "../incident/fields.ts";
import { INVICTUS, KEY, keyRecord, logFolder, ONE_LOG_FILE } from "./support/review-logs.ts";
import { forgedText } from "./support/generators.ts";

const REPO = resolve(import.meta.dirname, "..");
const OTHER = "AKIAEXAMPLEOTHER0001";
const run = promisify(execFile);

/** The arguments of node for `cordon review` of `dir`'s logs, as users call it, in a process of its own. */
const cordonReview = (dir: string, ...flags: string[]) => [
  join(REPO, "cli", "cordon.js"),
  "review",
  "--access-key",
  KEY,
  "--from-logs",
  dir,
  ...flags,
];

async function review(dir: string, ...flags: string[]) {
  const io = memoryIo({ cwd: dir });
  const code = await main(["review", "--access-key", KEY, "--from-logs", ".", ...flags], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** Nesting `depth` levels deep, written as text: JSON.stringify itself cannot write it. */
function nested(depth: number, kinds: boolean[]): string {
  let open = "";
  let close = "";
  for (let i = 0; i < depth; i++) {
    const object = kinds[i % kinds.length];
    open += object ? '{"k":' : "[";
    close = (object ? "}" : "]") + close;
  }
  return `${open}"secret-free leaf"${close}`;
}

function depthOf(value: unknown): number {
  let depth = 0;
  let level: unknown[] = [value];
  while (level.length > 0) {
    const next: unknown[] = [];
    for (const item of level)
      if (typeof item === "object" && item !== null) for (const child of Object.values(item)) next.push(child);
    if (level.some((item) => typeof item === "object" && item !== null)) depth++;
    level = next;
  }
  return depth;
}

describe("no input crashes the review or exhausts its memory (issue 10, item 6)", () => {
  it("request parameters nested to any depth: the review cuts them at MAX_NESTING, in every format", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 200, max: 30_000 })),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
        async (depth, kinds) => {
          const text = JSON.stringify({ Records: [keyRecord("deep")] }).replace(
            '"requestParameters":null',
            `"requestParameters":${nested(depth, kinds)}`,
          );
          const dir = logFolder({ "deep.json": text });
          const json = await review(dir, "--json");
          expect([json.code, json.stderr]).toEqual([0, "review: read 1 log files · 1 events\n"]);
          const parameters = JSON.parse(json.stdout).events[0].requestParameters;
          expect(depthOf(parameters)).toBe(Math.min(depth, MAX_NESTING));
          expect(JSON.stringify(parameters).includes(TOO_DEEP)).toBe(depth > MAX_NESTING);
          for (const flags of [[], ["--markdown"]]) expect((await review(dir, ...flags)).code).toBe(0);
        },
      ),
      // Half the runs below MAX_NESTING's neighbourhood, half far beyond it: six draw both.
      { numRuns: 6 },
    );
  });

  it("nesting beyond the scanner's bound is a problem of that file, not a crash", async () => {
    const dir = logFolder({
      "a.json": JSON.stringify({ Records: [keyRecord("a")] }),
      "b.json": `{"Records":[${"[".repeat(100_001)}`,
    });
    const { code, stderr } = await review(dir);
    expect(code).toBe(1);
    expect(stderr.split("\n")[0]).toBe(
      "b.json:1:100011 E_LOG_JSON not valid JSON: nested more than 100,000 levels deep; expected a CloudTrail log file",
    );
  });

  it("a file with a very large number of records: the key's are all reviewed", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 50_000, max: 150_000 }),
        fc.integer({ min: 2, max: 50 }),
        async (count, every) => {
          const records = Array.from({ length: count }, (_, i) =>
            keyRecord(`e${i}`, { accessKeyId: i % every === 0 ? KEY : OTHER }),
          );
          const { code, stdout } = await review(
            logFolder({ "big.json.gz": gzipSync(JSON.stringify({ Records: records })) }),
            "--json",
          );
          expect(code).toBe(0);
          expect(JSON.parse(stdout).events).toHaveLength(Math.ceil(count / every));
        },
      ),
      { numRuns: 2 },
    );
  });

  it("a file with a very large number of broken records: a hundred problems listed, the rest counted", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 50_000, max: 150_000 }), async (count) => {
        const records = Array.from({ length: count }, (_, i) => ({ ...keyRecord(`e${i}`), eventID: undefined }));
        const { code, stderr } = await review(logFolder({ "broken.json": JSON.stringify({ Records: records }) }));
        const lines = stderr.trimEnd().split("\n");
        expect(code).toBe(1);
        expect(lines).toHaveLength(MAX_PROBLEMS_PER_FILE + 2);
        expect(lines[0]).toBe("broken.json:1:1 E_LOG_EVENT record 0: the event has no eventID");
        expect(lines.at(-2)).toBe(
          `broken.json:1:1 E_LOG_EVENT and ${(count - MAX_PROBLEMS_PER_FILE).toLocaleString("en-US")} more records with problems`,
        );
      }),
      { numRuns: 2 },
    );
  });

  it("very many distinct user agents and source addresses: every format renders them, the markdown its first rows", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 100_000, max: 200_000 }), fc.boolean(), async (count, byAgent) => {
        const events: ReviewEvent[] = [];
        for (let i = 0; i < count; i++) {
          const event = fromRecord(
            keyRecord(
              `e${i}`,
              byAgent ? { userAgent: `agent/${i}` } : { sourceIPAddress: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` },
            ),
          );
          if (typeof event === "string") throw new Error(event);
          events.push(event);
        }
        const result = analyze(await followChain(KEY, { start: null, end: null }, logSource(events)));
        const markdown = renderMarkdown(result, ONE_LOG_FILE);
        const rows = markdown.split("\n").filter((line) => line.startsWith(byAgent ? "| agent/" : "| 10.")).length;
        // The markdown shows the first rows of a table, and counts the rest: the JSON has them all.
        expect(rows).toBe(MARKDOWN_ROWS);
        expect(markdown).toContain(
          `\n\n… and ${(count - MARKDOWN_ROWS).toLocaleString("en-US")} more: \`cordon review --json\` lists them all.\n`,
        );
        expect(renderText(result, ONE_LOG_FILE)).toContain(
          byAgent
            ? `user agents (${count.toLocaleString("en-US")})`
            : `source addresses (${count.toLocaleString("en-US")})`,
        );
        expect(JSON.parse(renderJson(result, ONE_LOG_FILE))[byAgent ? "userAgents" : "sourceIPs"]).toHaveLength(count);
      }),
      { numRuns: 2 },
    );
  });

  it("many gzip files that each expand close to the limit: twice the files, the same peak memory", async () => {
    // Concatenated gzip members expand to their concatenation: whitespace between records, made without the memory.
    const padding = gzipSync(Buffer.alloc(1024 * 1024, 0x20));
    const amplified = (files: number, megabytes: number) => {
      const logs: Record<string, Buffer> = {};
      for (let f = 0; f < files; f++) {
        const members = [gzipSync(`{"Records":[${JSON.stringify(keyRecord(`first${f}`))},`)];
        for (let m = 0; m < megabytes; m++) members.push(padding);
        members.push(gzipSync(`${JSON.stringify(keyRecord(`last${f}`))}]}`));
        logs[`amplified-${f}.json.gz`] = Buffer.concat(members);
      }
      return logFolder(logs);
    };
    /** The review in a child process: its output and its peak memory in MiB. */
    const peakOf = async (dir: string) => {
      const peakFile = join(dir, "..", `${dir.split("/").pop()}.peak`);
      const { stdout } = await run(
        process.execPath,
        ["--import", join(REPO, "test", "support", "peak-rss.ts"), ...cordonReview(dir, "--json")],
        { env: { ...process.env, PEAK_RSS_FILE: peakFile }, maxBuffer: 64 * 1024 * 1024 },
      );
      return {
        events: JSON.parse(stdout).events.length as number,
        peak: Number(readFileSync(peakFile, "utf8")) / 1024,
      };
    };
    await fc.assert(
      // Enough that the garbage of gunzip's output reaches its steady state (a hundred MB or so) in both.
      fc.asyncProperty(fc.integer({ min: 8, max: 10 }), fc.integer({ min: 40, max: 48 }), async (files, megabytes) => {
        const some = await peakOf(amplified(files, megabytes));
        const twice = await peakOf(amplified(2 * files, megabytes));
        expect([some.events, twice.events]).toEqual([2 * files, 4 * files]);
        // A reader that held the files would need files x megabytes more; a bounded one, nothing.
        // Half of it, not less: a busy machine moves a child's peak by tens of MB either way.
        expect(twice.peak - some.peak).toBeLessThan((files * megabytes) / 2);
      }),
      // Each run reads up to 1.4 GB of expanded logs in four processes.
      { numRuns: 1 },
    );
  });

  it("no function of the review spreads a list into a call's arguments", () => {
    // push(...list), Math.max(...list) and f.apply(x, list) pass every element on the stack. Every
    // file of every room of review/, and at least the rooms' files (the rooms hold them all).
    const sources = readdirSync(join(REPO, "review"), { recursive: true, encoding: "utf8" }).filter((name) =>
      name.endsWith(".ts"),
    );
    expect(sources).toEqual(expect.arrayContaining(["core/chain.ts", "render/svg.ts", "sources/s3.ts"]));
    const found = sources.flatMap((name) =>
      (
        readFileSync(join(REPO, "review", name), "utf8").match(
          /\.push\(\.\.\.|Math\.(max|min)\(([^()]*,\s*)?\.\.\.|\.apply\(/g,
        ) ?? []
      ).map((match) => `${name}: ${match}`),
    );
    expect(found).toEqual([]);
  });
});

/** Events of the reviewed key: ids drawn from a small pool so that they collide, bodies that differ or not, spread over files. */
const collisions = fc.array(
  fc.record({
    id: fc.constantFrom("id-a", "id-b", "id-c", "id-d"),
    body: fc.constantFrom("DescribeInstances", "ListBuckets", "CreateUser"),
    file: fc.constantFrom("a.json", "b.json.gz", "logs/c.json", "logs/d.json.gz"),
    copies: fc.integer({ min: 1, max: 3 }),
  }),
  { minLength: 1, maxLength: 12 },
);

describe("two events under one eventID (issue 10, item 7)", () => {
  it("different events are all kept, marked and reported; the same event delivered again is kept once", async () => {
    await fc.assert(
      fc.asyncProperty(collisions, async (events) => {
        const byFile = new Map<string, Record<string, unknown>[]>();
        for (const { id, body, file, copies } of events) {
          for (let c = 0; c < copies; c++)
            byFile.set(file, [
              ...(byFile.get(file) ?? []),
              keyRecord(id, {
                eventName: body,
                requestParameters: body === "CreateUser" ? { userName: "mallory" } : null,
              }),
            ]);
        }
        const files: Record<string, string | Buffer> = {};
        for (const [name, records] of byFile)
          files[name] = name.endsWith(".gz")
            ? gzipSync(JSON.stringify({ Records: records }))
            : JSON.stringify({ Records: records });
        // What the review must find: per id, each distinct body once, where it is first read (files in path order).
        const first = new Map<string, Map<string, string>>();
        for (const name of [...byFile.keys()].sort()) {
          for (const { eventID, eventName } of byFile.get(name) as { eventID: string; eventName: string }[]) {
            const bodies = first.get(eventID) ?? new Map<string, string>();
            if (!bodies.has(eventName)) bodies.set(eventName, name);
            first.set(eventID, bodies);
          }
        }
        const conflicts = [...first.entries()]
          .filter(([, bodies]) => bodies.size > 1)
          .map(([eventId, bodies]) => ({ eventId, files: [...bodies.values()].sort() }));
        const dir = logFolder(files);

        const json = JSON.parse((await review(dir, "--json")).stdout);
        expect(json.conflicts).toEqual(conflicts.sort((a, b) => (a.eventId < b.eventId ? -1 : 1)));
        expect(json.events).toHaveLength([...first.values()].reduce((sum, bodies) => sum + bodies.size, 0));
        for (const event of json.events) {
          const conflicting = (first.get(event.eventId)?.size ?? 0) > 1;
          expect(event.conflict === undefined).toBe(!conflicting);
          if (conflicting) expect(event.conflict.file).toBe(first.get(event.eventId)?.get(event.eventName));
        }
        for (const flags of [[], ["--markdown"]]) {
          const { stdout } = await review(dir, ...flags);
          for (const { eventId, files: where } of conflicts)
            expect(stdout).toContain(
              `CONFLICT: event ${eventId} differs between ${where.join(" and ")}; every copy is in this review, marked as conflicting`,
            );
          expect(stdout.includes("CONFLICT")).toBe(conflicts.length > 0);
        }
      }),
      { numRuns: 8 },
    );
  });

  it("a forged copy of a CreateUser under the real one's id does not hide it, whichever file sorts first", async () => {
    const real = keyRecord("create-1", {
      eventName: "CreateUser",
      eventSource: "iam.amazonaws.com",
      readOnly: false,
      requestParameters: { userName: "backdoor" },
    });
    const forged = keyRecord("create-1", { eventName: "ListBuckets", eventSource: "s3.amazonaws.com" });
    for (const [forgedName, realName] of [
      ["a.json", "b.json"],
      ["b.json", "a.json"],
    ]) {
      const json = JSON.parse(
        (
          await review(
            logFolder({
              [forgedName]: JSON.stringify({ Records: [forged] }),
              [realName]: JSON.stringify({ Records: [real] }),
            }),
            "--json",
          )
        ).stdout,
      );
      expect(
        json.persistence.map((f: { eventName: string; target: string; conflict: { file: string } }) => [
          f.eventName,
          f.target,
          f.conflict.file,
        ]),
      ).toEqual([["CreateUser", "userName=backdoor", realName]]);
      expect(json.conflicts).toEqual([{ eventId: "create-1", files: ["a.json", "b.json"] }]);
    }
  });

  it("no conflict on the fixtures", async () => {
    const io = memoryIo({ cwd: REPO });
    expect(await main(["review", ...INVICTUS, "--json"], io)).toBe(0);
    expect(JSON.parse(io.stdout).conflicts).toEqual([]);
  });
});

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+";
/** 40 characters of base64, mixed case, as AWS issues secret access keys. */
const secretKey = fc.string({ unit: fc.constantFrom(...BASE64), minLength: 40, maxLength: 40 }).filter(isSecretShaped);
/** An STS session token: one of the prefixes STS tokens start with, then base64, maybe padded. */
const sessionToken = fc
  .tuple(
    fc.constantFrom("IQoJb3JpZ2lu", "FwoGZXIvYXdz", "FQoGZXIvYXdz", "AQoDYXdz"),
    fc.string({ unit: fc.constantFrom(...BASE64), minLength: 60, maxLength: 400 }),
    fc.constantFrom("", "=", "=="),
  )
  .map(([prefix, body, padding]) => `${prefix}${body}${padding}`);
/** Percent-encoding as URLs and forms write it: none, once, twice, in either case of hex digit. */
const encoding = fc.constantFrom<[string, (text: string) => string]>(
  ["raw", (text) => text],
  ["once", (text) => encodeURIComponent(text)],
  [
    "once, lower-case hex",
    (text) => encodeURIComponent(text).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
  ],
  ["twice", (text) => encodeURIComponent(encodeURIComponent(text))],
  // As text in a JSON string written by Gson, which escapes =, &, <, > and ' (then read as text, the escapes stay).
  ["\\u escapes, as Gson writes them", (text) => text.replace(/[=&<>']/g, (char) => gsonEscape(char))],
);
/** One character as Gson's HTML-safe writer escapes it: `=` is `\u003d`. */
function gsonEscape(char: string): string {
  return `\\u${(char.codePointAt(0) as number).toString(16).padStart(4, "0")}`;
}
/** Where a secret sits in a text: a presigned URL, a form body, a name=value pair encoded whole, JSON in a string, a shell line, a URL inside a URL. */
const container = fc.constantFrom<
  [string, (secret: string, token: string, encode: (text: string) => string) => string]
>(
  [
    "presigned URL",
    (_secret, token, encode) =>
      `https://b.s3.amazonaws.com/o.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLEOTHER0001%2F20261128%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=${encode(token)}&X-Amz-SignedHeaders=host`,
  ],
  [
    "form body",
    (secret, _token, encode) => `Action=ImportCredentials&SecretAccessKey=${encode(secret)}&Version=2010-05-08`,
  ],
  [
    "name=value encoded whole",
    (secret, token, encode) => `config=${encode(`aws_secret_access_key=${secret}&aws_session_token=${token}`)}`,
  ],
  ["after %3D", (secret, _token, encode) => `key%3D${encode(secret)}%26next%3D1`],
  // Glued to the name before it by an escaped `=`: no boundary before the secret until the escape is read.
  [
    "after \\u003d",
    (secret, token, encode) =>
      `SecretAccessKey${gsonEscape("=")}${encode(secret)}${gsonEscape("&")}Token${gsonEscape("=")}${encode(token)}`,
  ],
  [
    "JSON in a string",
    (secret, token, encode) =>
      encode(JSON.stringify({ SecretAccessKey: secret, SessionToken: token, Region: "us-east-1" })),
  ],
  [
    "shell line",
    (secret, token, encode) => `export AWS_SECRET_ACCESS_KEY=${encode(secret)} AWS_SESSION_TOKEN=${encode(token)}`,
  ],
  [
    "URL in a URL",
    (_secret, token, encode) =>
      `https://example.com/next?to=${encodeURIComponent(`https://b.s3.amazonaws.com/o?X-Amz-Security-Token=${encode(token)}`)}`,
  ],
);

/** `text` with every %XX decoded, as often as it has some: what a reader of the output could recover. */
function decodedFully(text: string): string {
  let decoded = text;
  for (let previous = ""; previous !== decoded; ) {
    previous = decoded;
    decoded = decoded.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
  return decoded;
}

describe("secrets in encoded forms (issue 10, item 8)", () => {
  /** A CreateUser of the reviewed key (a finding: its target is shown in every format) holding `text` in `where`. */
  const holding = (text: string, where: string) => {
    const base = keyRecord("encoded", {
      eventName: "CreateUser",
      eventSource: "iam.amazonaws.com",
      readOnly: false,
      requestParameters: { userName: "mallory" },
    });
    if (where === "userName") return { ...base, requestParameters: { userName: text } };
    if (where === "nested")
      return { ...base, requestParameters: { userName: "mallory", tags: [{ key: "u", value: { urls: [text] } }] } };
    if (where === "response") return { ...base, responseElements: { user: { userName: "mallory", path: text } } };
    // A name the caller chose: a tag's key, a variable's name.
    if (where === "field name")
      return { ...base, requestParameters: { userName: "mallory", tags: { [text]: "v", team: "ops" } } };
    if (where === "userAgent") return { ...base, userAgent: text };
    return { ...base, errorCode: "ValidationException", errorMessage: text };
  };
  const place = fc.constantFrom("userName", "nested", "response", "field name", "userAgent", "errorMessage");
  /** A secret and a token, encoded, in a container, at a place of the event: what both properties below draw. */
  const secretPlaced = [secretKey, sessionToken, encoding, container, place] as const;
  /** Whether an output shows the secret or the token, once markdown's and JSON's backslashes are off and every %XX decoded. */
  const shows = (output: string, secret: string, token: string) => {
    const shown = decodedFully(output.replace(/\\/g, ""));
    // A token's first 40 characters never make it out either: no part of it is kept.
    return shown.includes(secret) || shown.includes(token.slice(0, 40));
  };

  it("are redacted in every output format, wherever the event holds them", async () => {
    await fc.assert(
      fc.asyncProperty(...secretPlaced, async (secret, token, [, encode], [, contain], where) => {
        const event = fromRecord(holding(contain(secret, token, encode), where)) as ReviewEvent;
        const result = analyze(await followChain(KEY, { start: null, end: null }, logSource([event])));
        for (const output of [
          renderText(result, ONE_LOG_FILE),
          renderMarkdown(result, ONE_LOG_FILE),
          renderJson(result, ONE_LOG_FILE),
        ])
          expect(shows(output, secret, token)).toBe(false);
        // What is not secret stays: the finding (a failed call is none), and the redaction is visible.
        expect(result.findings.map((finding) => finding.eventName)).toEqual(
          where === "errorMessage" ? [] : ["CreateUser"],
        );
        expect(JSON.stringify(event)).toContain(REDACTED);
      }),
      { numRuns: 300 },
    );
  });

  it("are redacted by the command, from a log file, in every format", async () => {
    await fc.assert(
      fc.asyncProperty(...secretPlaced, async (secret, token, [, encode], [, contain], where) => {
        const dir = logFolder({
          "encoded.json.gz": gzipSync(JSON.stringify({ Records: [holding(contain(secret, token, encode), where)] })),
        });
        for (const flags of [[], ["--markdown"], ["--json"]]) {
          const { code, stdout } = await review(dir, ...flags);
          expect(code).toBe(0);
          expect(shows(stdout, secret, token)).toBe(false);
        }
      }),
      { numRuns: 6 },
    );
  });

  it("keep the text around them: a presigned URL loses its token, not its other parameters", () => {
    fc.assert(
      fc.property(sessionToken, encoding, (token, [, encode]) => {
        const url = `https://b.s3.amazonaws.com/o.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=${encode(token)}&X-Amz-SignedHeaders=host`;
        expect(redactText(url)).toBe(
          `https://b.s3.amazonaws.com/o.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=${REDACTED}&X-Amz-SignedHeaders=host`,
        );
      }),
    );
    expect(
      redactText(`SecretAccessKey%3D${encodeURIComponent("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")}%26Version%3D1`),
    ).toBe(`SecretAccessKey%3D${REDACTED}%26Version%3D1`);
    expect(redactText("SecretAccessKey\\u003dwJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\\u0026Version\\u003d1")).toBe(
      `SecretAccessKey\\u003d${REDACTED}\\u0026Version\\u003d1`,
    );
  });

  it("cut a secret out of a field name, and keep every field: two names redacted alike are numbered", () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const event = fromRecord({
      ...keyRecord("tags", { eventName: "TagUser", eventSource: "iam.amazonaws.com", readOnly: false }),
      requestParameters: {
        userName: "mallory",
        tags: { [secret]: "a", [`SecretAccessKey=${secret}`]: "b", [REDACTED]: "c" },
      },
    }) as ReviewEvent;
    expect(event.requestParameters).toEqual({
      userName: "mallory",
      tags: { [REDACTED]: "a", [`SecretAccessKey=${REDACTED}`]: "b", [`${REDACTED} (2)`]: "c" },
    });
  });

  it("leave text without secrets as it is: URLs, ARNs of Secrets Manager secrets, encoded parameters", () => {
    const word = fc.string({
      unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_./:"),
      minLength: 1,
      maxLength: 30,
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(word, word), { maxLength: 6 }), fc.boolean(), (pairs, encoded) => {
        const query = pairs
          .map(([name, value]) => `${encodeURIComponent(name)}=${encoded ? encodeURIComponent(value) : value}`)
          .join("&");
        for (const text of [
          `https://example.com/path?${query}`,
          `arn:aws:secretsmanager:us-east-1:123456789012:secret:${pairs[0]?.[0] ?? "db"}-AbCdEf`,
          query,
        ])
          expect(redactText(text)).toBe(text);
      }),
    );
  });

  it("leave a base64url blob in an error message whole: 40 letters and digits inside one are not a key", () => {
    const blob = fc
      .string({
        unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        minLength: 200,
        maxLength: 800,
      })
      .filter((text) => /[-_]/.test(text));
    fc.assert(
      fc.property(blob, (text) => {
        const message = `You are not authorized to perform this operation. Encoded authorization failure message: ${text}`;
        const event = fromRecord({
          ...keyRecord("denied", { errorCode: "Client.UnauthorizedOperation" }),
          errorMessage: message,
        }) as ReviewEvent;
        expect(event.errorMessage).toBe(message);
      }),
    );
  });
});

const SECOND = 1000;
const DAY_START = Date.parse("2026-11-28T00:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");

describe("an eventTime without an offset (issue 10, item 9)", () => {
  it("is read as UTC, whatever TZ the review runs in", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ at: fc.integer({ min: 0, max: 86_399 }), form: fc.constantFrom("Z", "none", "space", "offset") }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.integer({ min: 0, max: 86_399 }),
        fc.integer({ min: 0, max: 86_399 }),
        async (times, a, b) => {
          const written = (ms: number, form: string) => {
            const utc = iso(ms).replace(/Z$/, "");
            if (form === "Z") return `${utc}Z`;
            if (form === "space") return utc.replace("T", " ");
            // The same instant, written in India's offset.
            if (form === "offset") return `${iso(ms + 330 * 60 * SECOND).replace(/Z$/, "")}+05:30`;
            return utc;
          };
          const records = times.map(({ at, form }, i) =>
            keyRecord(`t${i}`, { eventTime: written(DAY_START + at * SECOND, form) }),
          );
          const dir = logFolder({ "times.json": JSON.stringify({ Records: records }) });
          const [since, until] = [Math.min(a, b), Math.max(a, b)].map((s) => iso(DAY_START + s * SECOND));
          const expected = times
            .map(({ at }, i) => ({ at, id: `t${i}` }))
            .filter(
              ({ at }) => DAY_START + at * SECOND >= Date.parse(since) && DAY_START + at * SECOND <= Date.parse(until),
            )
            .map(({ id }) => id)
            .sort();
          const outputs = await Promise.all(
            ["America/New_York", "Asia/Kolkata"].map(async (TZ) => {
              const args = cordonReview(dir, "--since", since, "--until", until, "--json");
              // A window that holds none of the key's events is exit 3, not a clean review (issue 22).
              const { stdout, code } = await run(process.execPath, args, {
                env: { ...process.env, TZ },
                maxBuffer: 16 * 1024 * 1024,
              }).then(
                ({ stdout }) => ({ stdout, code: 0 }),
                (error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }),
              );
              expect(code).toBe(expected.length === 0 ? 3 : 0);
              return stdout;
            }),
          );
          expect(outputs[0]).toBe(outputs[1]);
          const events = JSON.parse(outputs[0]).events as { eventId: string; eventTime: string }[];
          expect(events.map((event) => event.eventId).sort()).toEqual(expected);
          for (const event of events) {
            const { at } = times[Number(event.eventId.slice(1))];
            expect(Date.parse(event.eventTime)).toBe(DAY_START + at * SECOND);
          }
        },
      ),
      { numRuns: 4 },
    );
  });

  it("in CloudTrail's own form is valid exactly when Date.parse reads it", () => {
    const digits = (n: number) => fc.stringMatching(new RegExp(`^\\d{${n}}$`));
    fc.assert(
      fc.property(
        digits(4),
        digits(2),
        digits(2),
        digits(2),
        digits(2),
        digits(2),
        (year, month, day, hour, minute, second) => {
          const written = `${year}-${month}-${day}T${hour}:${minute}:${second}Z`;
          expect(eventInstant(written) !== null).toBe(!Number.isNaN(Date.parse(written)));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("read from its bytes, as the log reader reads every record's, says what eventInstant says of the text", () => {
    const digits = (n: number) => fc.stringMatching(new RegExp(`^\\d{${n}}$`));
    const cloudTrail = fc
      .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2))
      .map(([year, month, day, hour, minute, second]) => `${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
    // Near misses: a character changed, or cut, or added, anywhere.
    const edited = fc
      .tuple(cloudTrail, fc.nat(21), fc.constantFrom("", "0", "9", ":", "-", "T", "Z", "z", " ", "é", "+05:30", ".000"))
      .map(([text, at, insert]) => text.slice(0, at) + insert + text.slice(at + (insert.length % 2)));
    fc.assert(
      fc.property(fc.oneof(cloudTrail, edited), (written) => {
        const bytes = Buffer.from(written);
        const read = isCloudTrailInstant(bytes, 0, bytes.length);
        // Read from the bytes: the text is valid as it is.
        if (read) expect(eventInstant(written)).toBe(written);
        // And every instant of CloudTrail's form in its ranges is read so; any other form never (the text decides).
        const shape = /^\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(written);
        const [month, day, hour, minute, second] = (shape?.slice(1) ?? []).map(Number);
        expect(read).toBe(
          shape !== null &&
            month >= 1 &&
            month <= 12 &&
            day >= 1 &&
            day <= 31 &&
            hour <= 23 &&
            minute <= 59 &&
            second <= 59,
        );
      }),
      { numRuns: 3000 },
    );
  });

  it("in any other form (Date.parse reads some as local time) is a problem of the file", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10 * 365 * 86_400 }),
        fc.constantFrom("toString", "toUTCString", "slash"),
        async (seconds, form) => {
          const date = new Date(DAY_START - seconds * SECOND);
          const written =
            form === "toString"
              ? date.toString()
              : form === "toUTCString"
                ? date.toUTCString()
                : `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()} 10:00:00`;
          const { code, stderr } = await review(
            logFolder({ "local.json": JSON.stringify({ Records: [keyRecord("local", { eventTime: written })] }) }),
          );
          expect(code).toBe(1);
          expect(stderr.split("\n")[0]).toBe("local.json:1:1 E_LOG_EVENT record 0: event local has no valid eventTime");
        },
      ),
      { numRuns: 10 },
    );
  });
});

describe("a forged record's account id, in the incident entry the review suggests", () => {
  const CHILD = "AKIAEXAMPLECHILD0001";
  /** Two calls of the key in its own account, and a CreateAccessKey whose record says `account`. */
  const logs = (account: string) =>
    logFolder({
      "trail.json": JSON.stringify({
        Records: [
          keyRecord("own1"),
          keyRecord("own2"),
          keyRecord("mint", {
            accountId: account,
            eventName: "CreateAccessKey",
            eventSource: "iam.amazonaws.com",
            eventTime: "2026-11-28T02:03:00Z",
            requestParameters: { userName: "other" },
            responseElements: { accessKey: { accessKeyId: CHILD, userName: "other" } },
          }),
        ],
      }),
    });

  it("is 12 digits as written, or said unknown: no text of the record's, and no workflow command, in text or markdown", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(forgedText, fc.stringMatching(/^\d{12}$/)), async (account) => {
        const dir = logs(account);
        for (const flags of [[], ["--markdown"]]) {
          const { code, stdout } = await review(dir, ...flags);
          expect(code).toBe(0);
          const lines = stdout.split("\n");
          // GitHub's runner reads `::` at a line's start (after spaces) and `##[` anywhere as a command.
          expect(lines.filter((line) => /^ *::/.test(line) || line.includes("##["))).toEqual([]);
          expect(lines.filter((line) => line.trim().startsWith("account:")).map((line) => line.trim())).toEqual(
            // None written (CloudTrail's empty string) is none: the entry is in the incident's account.
            account === "111122223333" || account === ""
              ? []
              : [ACCOUNT_ID.test(account) ? `account: "${account}"` : UNKNOWN_ACCOUNT_LINE.trim()],
          );
        }
      }),
      { numRuns: 30 },
    );
  });

  it("the reviewer's record: `x##[add-mask]CreateAccessKey` is never printed", async () => {
    const { stdout } = await review(logs("x##[add-mask]CreateAccessKey"));
    expect(stdout).toContain(`  users:\n    - name: other\n  ${UNKNOWN_ACCOUNT_LINE}\n      accessKeys: [${CHILD}]\n`);
    expect(stdout).not.toContain("add-mask");
  });
});

describe("the text output of a forged log, in a CI log", () => {
  it("holds no line GitHub's runner reads as a workflow command, whatever field a record fills", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          agent: forgedText,
          // The reader refuses a file with a record without a name.
          name: forgedText.filter((name) => name.trim() !== ""),
          user: forgedText,
          role: forgedText,
          error: forgedText,
          address: forgedText,
          target: forgedText,
          account: forgedText,
        }),
        async (v) => {
          const records = [
            keyRecord("ua", { userAgent: v.agent, eventName: v.name, sourceIPAddress: v.address }),
            keyRecord("cu", {
              eventName: "CreateUser",
              eventSource: "iam.amazonaws.com",
              requestParameters: { userName: v.user },
            }),
            keyRecord("ar", {
              eventName: "AssumeRole",
              eventSource: "sts.amazonaws.com",
              requestParameters: { roleArn: `arn:aws:iam::444455556666:role/${v.role}`, roleSessionName: "s" },
              responseElements: { credentials: { accessKeyId: "ASIAEXAMPLESESS00001" } },
            }),
            keyRecord("dn", { eventName: v.name, errorCode: v.error }),
            keyRecord("ck", {
              accountId: v.account,
              eventName: "CreateAccessKey",
              eventSource: "iam.amazonaws.com",
              requestParameters: { userName: "other" },
              responseElements: { accessKey: { accessKeyId: "AKIAEXAMPLECHILD0001", userName: "other" } },
            }),
            keyRecord("pb", {
              eventName: "PutBucketPolicy",
              eventSource: "s3.amazonaws.com",
              requestParameters: { bucketName: v.target },
            }),
          ];
          const { stdout } = await review(logFolder({ "trail.json": JSON.stringify({ Records: records }) }));
          expect(stdout).toContain(`review of ${KEY}`);
          expect(stdout.split("\n").filter((line) => /^ *::/.test(line) || line.includes("##["))).toEqual([]);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe("the markdown of a forged log fits where GitHub shows it (a comment, a run's summary)", () => {
  /** `count` calls of the key, each with a user agent of its own made of `@` (eight bytes each, escaped), and a CreateUser. */
  const bulky = (count: number, agentLength: number) =>
    logFolder({
      "trail.json": JSON.stringify({
        Records: [
          ...Array.from({ length: count }, (_, i) =>
            keyRecord(`e${i}`, {
              eventName: "GetCallerIdentity",
              eventSource: "sts.amazonaws.com",
              eventTime: `2026-11-28T02:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}Z`,
              userAgent: `${String(i).padStart(5, "0")}${"@".repeat(agentLength)}`,
            }),
          ),
          keyRecord("cu", {
            eventName: "CreateUser",
            eventSource: "iam.amazonaws.com",
            eventTime: "2026-11-28T03:00:00Z",
            requestParameters: { userName: "backdoor" },
          }),
        ],
      }),
    });

  it("a table shows its first rows and counts the rest, a cell its first bytes: the backdoor stays, the whole stays small", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: MARKDOWN_ROWS, max: 600 }),
        fc.integer({ min: 1, max: 400 }),
        async (count, length) => {
          const { code, stdout } = await review(bulky(count, length), "--markdown");
          expect(code).toBe(0);
          const lines = stdout.split("\n");
          const agents = lines.filter((line) => /^\| \d{5}@/.test(line));
          const distinct = count + 1; // the CreateUser's own agent
          expect(agents).toHaveLength(Math.min(MARKDOWN_ROWS, distinct));
          if (distinct > MARKDOWN_ROWS)
            expect(lines).toContain(`… and ${distinct - MARKDOWN_ROWS} more: \`cordon review --json\` lists them all.`);
          for (const row of agents) {
            const agent = row.split(" | ")[0].slice(2);
            const cut = /… \*\((\d+) more characters\)\*$/.exec(agent);
            expect(Buffer.byteLength(agent.replace(/… \*\(\d+ more characters\)\*$/, ""))).toBeLessThanOrEqual(
              CELL_BYTES,
            );
            // Cut only when the whole would not fit, and the characters cut are counted.
            expect(cut !== null).toBe(5 + length * "@&#8203;".length > CELL_BYTES);
            if (cut !== null) expect(Number(cut[1]) + (agent.split("@").length - 1) + 5).toBe(5 + length);
          }
          expect(
            lines.filter((line) => /^\| [^|]+ \| persistence \| CreateUser \| userName=backdoor \|/.test(line)),
          ).toHaveLength(1);
          expect(stdout).toContain("```yaml\nusers:\n  - name: backdoor\n```");
          // The reviewer's 530 agents of 250 `@` made 1,070,553 bytes: over the summary's 1 MiB.
          expect(Buffer.byteLength(stdout)).toBeLessThan(60_000);
        },
      ),
      { numRuns: 4 },
    );
  }, 120_000);

  it("two hundred console sessions: the headline and the first lines of each problem at a glance, the rest counted", async () => {
    const records = Array.from({ length: 200 }, (_, i) =>
      keyRecord(`s${i}`, {
        eventName: "GetSigninToken",
        eventSource: "signin.amazonaws.com",
        eventTime: `2026-11-28T${String(Math.floor(i / 60)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00Z`,
        responseElements: { GetSigninToken: "Success" },
      }),
    );
    const { stdout } = await review(logFolder({ "trail.json": JSON.stringify({ Records: records }) }), "--markdown");
    const glance = stdout.slice(0, stdout.indexOf(GLANCE_END));
    const lines = glance.split("\n");
    expect(lines.filter((line) => line.startsWith("> console session of"))).toHaveLength(MARKDOWN_ROWS);
    expect(lines).toContain(`> … and ${200 - MARKDOWN_ROWS} more (--json lists them all)`);
    expect(glance).toContain("**200 events · 1 key · 200 persistence and escalation · 0 denied calls**");
    // The reviewer's 200 sessions made a part at a glance of 73 KB, more than a comment keeps of it.
    expect(Buffer.byteLength(glance)).toBeLessThan(40_000);
  }, 60_000);

  it("the entries to add: the first of each list, the rest counted in a comment, still YAML", async () => {
    const users = 70;
    const records = Array.from({ length: users }, (_, i) =>
      keyRecord(`u${i}`, {
        eventName: "CreateUser",
        eventSource: "iam.amazonaws.com",
        requestParameters: { userName: `backdoor-${String(i).padStart(3, "0")}` },
      }),
    );
    const { stdout } = await review(logFolder({ "trail.json": JSON.stringify({ Records: records }) }), "--markdown");
    const yaml = /```yaml\n([\s\S]*?)```/.exec(stdout)?.[1] as string;
    expect(yaml.split("\n").filter((line) => line.startsWith("  - name: "))).toHaveLength(MARKDOWN_ROWS);
    expect(yaml).toContain(`\n  # … and ${users - MARKDOWN_ROWS} more: \`cordon review --json\` lists them all\n`);
    expect(parseYaml(yaml).users).toHaveLength(MARKDOWN_ROWS);
  });
});

/**
 * The pictures of a review (issue 22): the timeline and the blast radius in the markdown, held to
 * what GitHub draws by Mermaid's own parser, on the repository's CloudTrail recordings and on
 * generated reviews of any size and any text; and the --html page, drawn by headless Chromium.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { followChain } from "../review/core/chain.ts";
import { fromRecord, type ReviewEvent } from "../review/core/event.ts";
import { analyze } from "../review/core/findings.ts";
import { reachOf } from "../review/core/reach.ts";
import { TIMELINE_LIMITS, timelineOf } from "../review/core/timeline.ts";
import { logSource } from "../review/logs/two-passes.ts";
import { renderHtml } from "../review/render/html.ts";
import { MERMAID_LIMITS, reachMermaid, timelineMermaid } from "../review/render/mermaid.ts";
import { renderMarkdown } from "../review/render/markdown.ts";
import { COLOURS } from "../review/render/svg.ts";
import { trailRecord } from "../emulators/cloudtrail-server.ts";
import { countColour, nonWhite, readPng } from "./support/png.ts";
import { INVICTUS, INVICTUS_KEY, INVICTUS_LOGS, ONE_LOG_FILE } from "./support/review-logs.ts";

const REPO = resolve(import.meta.dirname, "..");
const ROOT = "AKIAEXAMPLEROOT00001";
const run = promisify(execFile);

type Mermaid = typeof import("mermaid").default;
let mermaid: Mermaid;

beforeAll(async () => {
  // Mermaid sanitizes labels with DOMPurify, which needs a browser's DOM; without one (Node) it has
  // no addHook nor sanitize. Parsing does not depend on them: the grammar is Mermaid's, unchanged.
  // dompurify is mermaid's own dependency (the copy mermaid imports), and ships no types.
  const purify = ((await import("dompurify" as string)) as { default: { addHook?: unknown; sanitize?: unknown } })
    .default;
  purify.addHook ??= () => undefined;
  purify.sanitize ??= (text: string) => text;
  mermaid = (await import("mermaid")).default;
});

/** The ```mermaid blocks of a markdown text. */
function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
}

/**
 * Parses a diagram with Mermaid's parser, as GitHub does before drawing it, and returns its type;
 * for a gantt, also the instants Mermaid reads for each task, as UTC milliseconds (Mermaid reads
 * dates in the reader's time zone and draws them in it, so local digits are UTC's digits).
 */
async function parse(
  text: string,
): Promise<{ type: string; tasks: { start: number; end: number; milestone: boolean }[] }> {
  expect(text.length).toBeLessThan(MERMAID_LIMITS.textSize);
  const { diagramType } = (await mermaid.parse(text)) as { diagramType: string };
  if (diagramType !== "gantt") return { type: diagramType, tasks: [] };
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  const local = (date: Date) => date.getTime() - date.getTimezoneOffset() * 60_000;
  const tasks = (
    diagram.db as unknown as { getTasks(): { startTime: Date; endTime: Date; milestone?: boolean }[] }
  ).getTasks();
  return {
    type: diagramType,
    tasks: tasks.map((task) => ({
      start: local(task.startTime),
      end: local(task.endTime),
      milestone: task.milestone === true,
    })),
  };
}

async function markdownOf(flags: string[]): Promise<string> {
  const io = memoryIo({ cwd: REPO });
  expect(await main(["review", ...flags, "--markdown"], io)).toBe(0);
  return io.stdout;
}

describe("the markdown's pictures on the recordings", () => {
  /** The recording's review with the incident's instants marked, as docs/review.md runs it: once, read by two tests. */
  let marked: Promise<string> | undefined;
  const markedMarkdown = () =>
    (marked ??= markdownOf([
      ...INVICTUS,
      "--cutoff",
      "2023-07-10T12:00:00Z",
      "--contained-at",
      "2023-07-10T12:20:30Z",
    ]));
  const recordings: [string, string[]][] = [
    ["invictus-aws", INVICTUS],
    ...["AKIA6V1GNZTT65XQH36M", "AKIAW9X2Q2U25SK79UCX", "AKIAAM80VXLJF8NPK4VC", "AKIAZI86ACIZ2J9CV86Z"].map(
      (key): [string, string[]] => [
        `stratus-red-team ${key}`,
        ["--access-key", key, "--from-logs", "test/fixtures/cloudtrail/stratus-red-team"],
      ],
    ),
  ];
  it.each(recordings)("%s: a timeline and a blast radius that Mermaid's parser accepts", async (_name, flags) => {
    const markdown = await markdownOf(flags);
    const blocks = mermaidBlocks(markdown);
    expect(blocks).toHaveLength(2);
    const [timeline, reach] = await Promise.all(blocks.map(parse));
    expect(timeline.type).toBe("gantt");
    expect(reach.type).toBe("flowchart-v2");
    expect(timeline.tasks.length).toBeGreaterThan(0);
    for (const task of timeline.tasks) expect(task.end).toBeGreaterThanOrEqual(task.start);
    expect(blocks[1].split("\n").filter((line) => /-->|-\.->/.test(line)).length).toBeLessThan(MERMAID_LIMITS.edges);
  });

  it("invictus-aws: the timeline marks the cutoff, the containment and the findings where they happened", async () => {
    const markdown = await markedMarkdown();
    const [gantt] = mermaidBlocks(markdown);
    const { tasks } = await parse(gantt);
    const milestones = tasks.filter((task) => task.milestone).map((task) => task.start);
    expect(milestones).toContain(Date.parse("2023-07-10T12:00:00Z"));
    expect(milestones).toContain(Date.parse("2023-07-10T12:20:30Z"));
    expect(gantt).toContain(
      "  section incident\n    cutoff :milestone, 2023-07-10 12:00:00, 0m\n    contained :milestone, done, 2023-07-10 12:20:30, 0m\n",
    );
    // The first persistence finding (PutRolePolicy, 11:54:39) in its minute's bucket.
    expect(gantt).toContain("  section persistence\n    2 :milestone, crit, 2023-07-10 11:54:00, 0m\n");
    expect(gantt).toMatch(/\n {2}section exfiltration\n/);
    // Every lane of the recording: the key, the sessions it minted, the roles, the account.
    expect(gantt).toMatch(/\n {2}section AKIATFQR7NSC8Q4X20BJ reviewed key\n/);
    expect(gantt).toMatch(/\n {2}section role stratus-red-team-ec2-get-pa\.\.\n/);
    expect(gantt).toMatch(/\n {2}section account 123837392027 \(key's\)\n/);
  });

  it("docs/review.md shows the pictures this run prints, as they are", async () => {
    const docs = readFileSync(join(REPO, "docs", "review.md"), "utf8");
    const section = docs.slice(
      docs.indexOf("## The pictures: a timeline and a blast radius"),
      docs.indexOf("## Reading CloudTrail"),
    );
    expect(section).toContain(
      "npx cordon review --access-key AKIATFQR7NSC8Q4X20BJ --from-logs test/fixtures/cloudtrail/invictus-aws \\\n  --cutoff 2023-07-10T12:00:00Z --contained-at 2023-07-10T12:20:30Z --markdown --html review.html\n",
    );
    const markdown = await markedMarkdown();
    expect(mermaidBlocks(section)).toEqual(mermaidBlocks(markdown));
  });

  it("the blast radius names what assess says beside what the review saw, and the JSON's reach holds it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-pictures-"));
    const role = "arn:aws:iam::123837392027:role/stratus-red-team-ec2-get-password-data-role";
    const unused = "arn:aws:iam::123837392027:role/never-assumed";
    const assessment = {
      user: "bert-jan",
      account: "123837392027",
      assumableRoles: [unused, role],
      assumableRolesInOtherAccounts: [],
      risk: { admin: true, iamWrite: true, dataRead: true, secretsRead: true, dataWrite: true },
    };
    writeFileSync(join(dir, "assess.json"), JSON.stringify(assessment));
    const flags = ["--access-key", INVICTUS_KEY, "--from-logs", join(REPO, INVICTUS_LOGS), "--assess", "assess.json"];
    const io = memoryIo({ cwd: dir });
    expect(await main(["review", ...flags, "--markdown"], io)).toBe(0);
    const [, reach] = mermaidBlocks(io.stdout);
    expect((await parse(reach)).type).toBe("flowchart-v2");
    expect(reach).toContain('CU["user bert-jan, account 123837392027"]');
    expect(reach).toContain('["can assume never-assumed"]');
    expect(reach).toContain('["can assume stratus-red-team-ec2-get-password-data-role (assumed)"]');
    expect(reach).toContain('["role stratus-red-team-ec2-get-password-data-role (in assess)"]');
    expect(io.stdout).toContain("Assumable, not assumed: never-assumed.");

    const json = memoryIo({ cwd: dir });
    expect(await main(["review", ...flags, "--json"], json)).toBe(0);
    const document = JSON.parse(json.stdout) as {
      reach: {
        key: string;
        user: string;
        could: unknown;
        assumableNotAssumed: string[];
        accounts: { account: string; services: { service: string }[] }[];
      };
    };
    expect(document.reach.key).toBe("AKIATFQR7NSC8Q4X20BJ");
    expect(document.reach.user).toBe("bert-jan");
    expect(document.reach.assumableNotAssumed).toEqual([unused]);
    expect(document.reach.accounts.map((account) => account.account)).toEqual(["123837392027"]);
    expect(document.reach.accounts[0].services.map((service) => service.service)).toContain("iam");
  });

  it("an --assess file that cannot be read is said in one line, and the review goes on without it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-pictures-"));
    writeFileSync(join(dir, "assess.json"), '{"user": "x\\n\\u001b[2J"}');
    const io = memoryIo({ cwd: dir });
    expect(
      await main(
        [
          "review",
          "--access-key",
          INVICTUS_KEY,
          "--from-logs",
          join(REPO, INVICTUS_LOGS),
          "--assess",
          "assess.json",
          "--markdown",
        ],
        io,
      ),
    ).toBe(0);
    expect(io.stderr).toContain(
      'review: --assess assess.json: expected the JSON of `cordon assess --json`, with "user", "account", "assumableRoles" and "risk"; the blast radius shows what the review saw, without what assess says\n',
    );
    expect(io.stdout).toContain("Not assessed:");
  });
});

/** A generated review: calls over any span, minted sessions of roles named anything, errors and denials. */
const generatedEvents = fc
  .record({
    span: fc.oneof(fc.integer({ min: 0, max: 3_600_000 }), fc.integer({ min: 0, max: 400 * 86_400_000 })),
    calls: fc.array(
      fc.record({
        at: fc.double({ min: 0, max: 1, noNaN: true }),
        name: fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
        error: fc.constantFrom(undefined, "AccessDenied", "ThrottlingException"),
        session: fc.nat(30),
      }),
      { minLength: 1, maxLength: 400 },
    ),
    roles: fc.array(fc.string({ unit: "binary", minLength: 1, maxLength: 80 }), { maxLength: 30 }),
    accounts: fc.array(fc.oneof(fc.stringMatching(/^\d{12}$/), fc.string({ unit: "binary", maxLength: 30 })), {
      minLength: 1,
      maxLength: 12,
    }),
  })
  .map(({ span, calls, roles, accounts }) => {
    const start = Date.parse("2026-11-01T00:00:00Z");
    const at = (fraction: number) => new Date(start + Math.floor(fraction * span)).toISOString();
    const records: Record<string, unknown>[] = [];
    const sessions = roles.map((_, i) => `ASIAEXAMPLESESS${String(i).padStart(5, "0")}`);
    roles.forEach((role, i) => {
      const roleArn = `arn:aws:iam::${accounts[i % accounts.length]}:role/${role}`;
      records.push(
        trailRecord({
          eventId: `m${i}`,
          eventName: "AssumeRole",
          eventSource: "sts.amazonaws.com",
          eventTime: at(0),
          region: "us-east-1",
          accessKeyId: ROOT,
          requestParameters: { roleArn, roleSessionName: "s" },
          responseElements: { credentials: { accessKeyId: sessions[i] } },
        }),
      );
    });
    calls.forEach((call, i) => {
      const key = sessions.length === 0 || call.session % 2 === 0 ? ROOT : sessions[call.session % sessions.length];
      records.push(
        trailRecord({
          eventId: `c${i}`,
          eventName: call.name,
          eventTime: at(call.at),
          region: "us-east-1",
          accessKeyId: key,
          accountId: accounts[i % accounts.length],
          ...(call.error === undefined ? {} : { errorCode: call.error }),
        }),
      );
    });
    return records
      .map((record) => fromRecord(record))
      .filter((event): event is ReviewEvent => event !== null && !("problem" in (event as object)));
  });

describe("the pictures of any review", () => {
  it("stay within GitHub's limits, parse, and draw every call once per lane kind, whatever the count, the span and the text", async () => {
    await fc.assert(
      fc.asyncProperty(
        generatedEvents,
        fc.option(fc.integer({ min: -86_400_000, max: 86_400_000 })),
        async (events, offset) => {
          const review = analyze(await followChain(ROOT, { start: null, end: null }, logSource(events)));
          const instant = offset === null ? null : new Date(Date.parse("2026-11-01T00:00:00Z") + offset).toISOString();
          const timeline = timelineOf(review, { cutoff: instant, containedAt: instant });
          expect(timeline.bars.length + timeline.marks.length).toBeLessThanOrEqual(TIMELINE_LIMITS.items);
          expect((timeline.end - timeline.start) / timeline.bucketMs).toBeLessThanOrEqual(TIMELINE_LIMITS.buckets);
          // Every call is counted in its caller's lane: the key lanes' bars add up to the events.
          const keyLanes = new Set(
            timeline.lanes.flatMap((lane, i) => (lane.kind === "key" || lane.kind === "user" ? [i] : [])),
          );
          expect(timeline.bars.filter((bar) => keyLanes.has(bar.lane)).reduce((sum, bar) => sum + bar.calls, 0)).toBe(
            review.events.length,
          );
          const gantt = timelineMermaid(timeline, `calls of ${review.root}`);
          const flowchart = reachMermaid(reachOf(review));
          for (const text of [gantt, flowchart]) {
            if (text === null) continue;
            // Text from the logs never leaves a label, and a label holds no markup: one diagram line per line.
            expect(text).not.toMatch(/[`\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
            for (const [, label] of text.matchAll(/\["([^"]*)"\]|\|([^|]*)\|/g))
              if (label !== undefined) expect(label).toMatch(/^[A-Za-z0-9 .,_/@+=()'?-]*$/);
            if (text === gantt)
              for (const line of text.split("\n").filter((l) => /^ {4}\S/.test(l)))
                expect(line).toMatch(/^ {4}[A-Za-z0-9 .,_/@+=()'?-]* :/);
            await parse(text);
          }
          if (gantt !== null)
            expect((await parse(gantt)).tasks).toHaveLength(timeline.bars.length + timeline.marks.length);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("a busy key: 60,000 calls over 90 days by 40 sessions of 40 roles in 20 accounts stay within a third of GitHub's limit", async () => {
    const start = Date.parse("2026-09-01T00:00:00Z");
    const accounts = Array.from({ length: 20 }, (_, i) => String(100000000000 + i));
    const records: Record<string, unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      const roleArn = `arn:aws:iam::${accounts[i % 20]}:role/role-${i}`;
      records.push(
        trailRecord({
          eventId: `m${i}`,
          eventName: "AssumeRole",
          eventSource: "sts.amazonaws.com",
          eventTime: new Date(start + i * 60_000).toISOString(),
          region: "us-east-1",
          accessKeyId: ROOT,
          requestParameters: { roleArn, roleSessionName: "s" },
          responseElements: {
            credentials: {
              accessKeyId: `ASIAEXAMPLESESS${String(i).padStart(5, "0")}`,
              expiration: "2026-12-31T00:00:00Z",
            },
          },
        }),
      );
    }
    for (let i = 0; i < 60_000; i++) {
      const session = i % 41;
      const key = session === 40 ? ROOT : `ASIAEXAMPLESESS${String(session).padStart(5, "0")}`;
      records.push(
        trailRecord({
          eventId: `c${i}`,
          eventName: i % 97 === 0 ? "CreateUser" : "DescribeInstances",
          eventTime: new Date(start + Math.floor((i / 60_000) * 90 * 86_400_000)).toISOString(),
          region: "us-east-1",
          accessKeyId: key,
          accountId: accounts[i % 20],
          ...(i % 13 === 0 ? { errorCode: "AccessDenied" } : {}),
          requestParameters: { userName: `u${i}` },
        }),
      );
    }
    const events = records.map((record) => fromRecord(record) as ReviewEvent);
    const review = analyze(await followChain(ROOT, { start: null, end: null }, logSource(events)));
    const timeline = timelineOf(review, { cutoff: "2026-10-01T00:00:00Z", containedAt: "2026-10-01T00:05:00Z" });
    const gantt = timelineMermaid(timeline, `calls of ${review.root}`) as string;
    const flowchart = reachMermaid(reachOf(review));
    expect(review.events.length).toBeGreaterThanOrEqual(60_000);
    // 41 callers, 40 roles, 21 accounts (the key's own beside the 20): the last lane of each kind folds the rest.
    expect(timeline.lanes.filter((lane) => lane.folded > 0).map((lane) => lane.name)).toEqual([
      "32 more keys and users",
      "35 more roles",
      "16 more accounts",
    ]);
    for (const text of [gantt, flowchart]) expect(text.length).toBeLessThan(MERMAID_LIMITS.textSize / 3);
    expect((await parse(gantt)).tasks).toHaveLength(timeline.bars.length + timeline.marks.length);
    expect((await parse(flowchart)).type).toBe("flowchart-v2");
  }, 60_000);

  it("the markdown and the page show hostile text only escaped", async () => {
    await fc.assert(
      fc.asyncProperty(generatedEvents, async (events) => {
        const review = analyze(await followChain(ROOT, { start: null, end: null }, logSource(events)));
        const page = renderHtml(review, ONE_LOG_FILE);
        // No markup but the page's own: no script, no element that fetches, no URL but the SVG namespace.
        expect(page).not.toMatch(/<script|<img|<link|<iframe|<object|<embed|url\(|@import/i);
        expect(page.match(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*/gi) ?? []).toEqual(expect.arrayContaining([]));
        for (const url of page.match(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*/gi) ?? [])
          expect(url).toBe("http://www.w3.org/2000/svg");
        const markdown = renderMarkdown(review, ONE_LOG_FILE);
        for (const block of mermaidBlocks(markdown)) await parse(block);
      }),
      { numRuns: 15 },
    );
  });
});

describe("review --html, drawn by a browser", () => {
  const chromium = "/usr/bin/chromium";
  const drawable = existsSync(chromium);
  // The one skip allowed, its reason its title: a machine without Debian's chromium cannot draw the page.
  (drawable ? it : it.skip)(
    drawable
      ? "the page of the invictus-aws recording renders in headless Chromium, its pictures drawn, with no request made"
      : `skipped: ${chromium} is not installed (apt-get install chromium), so the page cannot be drawn here`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "cordon-html-"));
      const io = memoryIo({ cwd: dir });
      expect(
        await main(
          ["review", "--access-key", INVICTUS_KEY, "--from-logs", join(REPO, INVICTUS_LOGS), "--html", "review.html"],
          io,
        ),
      ).toBe(0);
      expect(io.stderr).toContain("review: wrote review.html\n");
      const page = readFileSync(join(dir, "review.html"), "utf8");
      for (const url of page.match(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]*/gi) ?? [])
        expect(url).toBe("http://www.w3.org/2000/svg");
      expect(page).toContain('<svg xmlns="http://www.w3.org/2000/svg" id="timeline"');
      expect(page).toContain('<svg xmlns="http://www.w3.org/2000/svg" id="reach"');
      expect(page).toContain("<th>time</th><th>category</th><th>call</th>");

      const shot = async (file: string, png: string) => {
        // A profile of its own, no network (every host unresolvable): the page must draw from itself.
        const flags = [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--hide-scrollbars",
          `--user-data-dir=${join(dir, "profile")}`,
          "--host-resolver-rules=MAP * ~NOTFOUND",
          "--window-size=1280,1400",
          `--screenshot=${png}`,
          `file://${file}`,
        ];
        await run(chromium, flags, { timeout: 60_000 });
        return readPng(readFileSync(png));
      };
      const drawn = await shot(join(dir, "review.html"), join(dir, "review.png"));
      expect([drawn.width, drawn.height]).toEqual([1280, 1400]);
      // The bars of the timeline, in their own colour, and the page far from blank.
      expect(countColour(drawn, COLOURS.ok)).toBeGreaterThan(500);
      expect(countColour(drawn, COLOURS.denied)).toBeGreaterThan(100);
      expect(nonWhite(drawn)).toBeGreaterThan(0.05 * drawn.width * drawn.height);
      // The same measure tells a blank page from it.
      writeFileSync(join(dir, "blank.html"), "<!doctype html><html><body></body></html>");
      const blank = await shot(join(dir, "blank.html"), join(dir, "blank.png"));
      expect(nonWhite(blank)).toBe(0);
    },
    120_000,
  );
});

/**
 * The accounts a key reached (issue 11, item 4): the accounts that received the chain's calls
 * (`recipientAccountId`) and the account in each role ARN it assumed, in every format; and in the
 * YAML to paste into the incident, `account:` on each principal of another account than the key's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { fromRecord, type ReviewEvent } from "../review/core/event.ts";
import { followChain } from "../review/core/chain.ts";
import { accountOfRoleArn, analyze } from "../review/core/findings.ts";
import { accountOfLogFile } from "../review/logs/log-objects.ts";
import { logSource } from "../review/logs/two-passes.ts";
import { incomplete, unreadAccounts, type ReviewContext } from "../review/render/context.ts";
import { renderHtml } from "../review/render/html.ts";
import { renderJson } from "../review/render/json.ts";
import { renderMarkdown } from "../review/render/markdown.ts";
import { renderText } from "../review/render/text.ts";
import { trailRecord, type RecordFields } from "../emulators/cloudtrail-server.ts";

const KEY = "AKIAEXAMPLEROOT00001";
const HOME = "111122223333";
const OTHERS = ["444455556666", "777788889999", "012345678901"];
const context: ReviewContext = {
  source: { kind: "logs", dir: ".", files: 1 },
  sourceSummary: "1 log file under .",
  notEnabled: [],
  failed: [],
};

/** A record; `recipient` set apart from the caller's account for a call into another account. */
function record(
  fields: Partial<RecordFields> & Pick<RecordFields, "eventId" | "eventName">,
  recipient?: string,
): Record<string, unknown> {
  const made = trailRecord({
    eventTime: "2026-11-28T02:00:00Z",
    region: "us-east-1",
    accessKeyId: KEY,
    accountId: HOME,
    ...fields,
  });
  if (recipient !== undefined) made.recipientAccountId = recipient;
  return made;
}

/** What the key did: calls received by some accounts, and roles assumed in some accounts, each session making calls in its own. */
const scenario = fc.record({
  // At least one call: the key's account is what its own calls name.
  calls: fc.array(fc.constantFrom(HOME, ...OTHERS, "not-an-account"), { minLength: 1, maxLength: 8 }),
  roles: fc.uniqueArray(
    fc.record({
      account: fc.constantFrom(HOME, ...OTHERS),
      name: fc.constantFrom("deploy", "data-loader", "OrganizationAccountAccessRole", "audit/reader"),
      calls: fc.nat({ max: 3 }),
    }),
    {
      maxLength: 5,
      selector: (role) => `${role.account}/${role.name}`,
    },
  ),
  created: fc.option(fc.constantFrom(HOME, ...OTHERS), { nil: undefined }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function recordsOf({ calls, roles, created }: Scenario): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  calls.forEach((recipient, i) =>
    records.push(
      record({ eventId: `call-${i}`, eventName: "ListBuckets", eventSource: "s3.amazonaws.com" }, recipient),
    ),
  );
  roles.forEach((role, i) => {
    const session = `ASIAEXAMPLESESSION${String(i).padStart(2, "0")}`;
    const roleArn = `arn:aws:iam::${role.account}:role/${role.name}`;
    records.push(
      record(
        {
          eventId: `assume-${i}`,
          eventName: "AssumeRole",
          eventSource: "sts.amazonaws.com",
          requestParameters: { roleArn, roleSessionName: "s" },
          responseElements: { credentials: { accessKeyId: session, expiration: "2026-11-28T03:00:00Z" } },
        },
        role.account,
      ),
    );
    for (let c = 0; c < role.calls; c++)
      records.push(
        record({
          eventId: `session-${i}-${c}`,
          eventName: "DescribeInstances",
          eventTime: "2026-11-28T02:10:00Z",
          accessKeyId: session,
          identityType: "AssumedRole",
          accountId: role.account,
        }),
      );
    // A role session in another account creates a user there: the user lives in that account.
    if (created !== undefined && i === 0) {
      records.push(
        record({
          eventId: `create-${i}`,
          eventName: "CreateUser",
          eventSource: "iam.amazonaws.com",
          eventTime: "2026-11-28T02:20:00Z",
          accessKeyId: session,
          identityType: "AssumedRole",
          accountId: role.account,
          requestParameters: { userName: "backdoor" },
          readOnly: false,
        }),
      );
    }
  });
  return records;
}

async function reviewOf(records: Record<string, unknown>[]) {
  const events = records.map((made) => fromRecord(made) as ReviewEvent);
  return analyze(await followChain(KEY, { start: null, end: null }, logSource(events)));
}

/** The YAML block of the markdown, parsed. */
function pasted(markdown: string): {
  users?: { name: string; account?: string }[];
  roles?: { name: string; account?: string }[];
} {
  const block = /```yaml\n([\s\S]*?)```/.exec(markdown);
  return (block === null ? null : parse(block[1])) ?? {};
}

describe("the accounts the key reached (issue 11, item 4)", () => {
  it("are those that received its calls and those of the roles it assumed, each with its events and roles, the key's own first", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (drawn) => {
        const records = recordsOf(drawn);
        const review = await reviewOf(records);
        const expected = new Map<string, { events: number; roles: string[] }>();
        const entry = (account: string) =>
          expected.get(account) ??
          (expected.set(account, { events: 0, roles: [] }).get(account) as { events: number; roles: string[] });
        entry(HOME);
        for (const made of records)
          if (/^\d{12}$/.test(made.recipientAccountId as string)) entry(made.recipientAccountId as string).events++;
        for (const role of [...drawn.roles].sort((a, b) =>
          `arn:aws:iam::${a.account}:role/${a.name}` < `arn:aws:iam::${b.account}:role/${b.name}` ? -1 : 1,
        ))
          entry(role.account).roles.push(`arn:aws:iam::${role.account}:role/${role.name}`);
        const others = [...expected.keys()].filter((account) => account !== HOME).sort();
        const accounts = [HOME, ...others].map((account) => ({
          account,
          reviewedKey: account === HOME,
          ...(expected.get(account) as { events: number; roles: string[] }),
        }));

        expect(review.keyAccount).toBe(HOME);
        expect(review.accounts).toEqual(accounts);
        expect(JSON.parse(renderJson(review, context)).accounts).toEqual(accounts);
        const text = renderText(review, context);
        expect(text).toContain(`accounts reached (${accounts.length})\n  ${HOME}  the reviewed key's account  `);
        for (const account of others) expect(text).toMatch(new RegExp(`\\n  ${account}  \\d+ events? received`));
        expect(renderMarkdown(review, context)).toContain(`#### Accounts reached (${accounts.length})`);
        // A forged recipientAccountId is no account.
        expect(text.includes("not-an-account")).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("give the YAML to paste: account: on each role and user in another account than the key's, none on the others", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (drawn) => {
        const review = await reviewOf(recordsOf(drawn));
        for (const output of [
          renderMarkdown(review, context),
          `\`\`\`yaml\n${renderText(review, context).split("add to the incident (sessions of these roles, these users and keys must be cut off too):\n")[1]?.replace(/^ {2}/gm, "") ?? ""}\`\`\``,
        ]) {
          const yaml = pasted(output);
          const roles = yaml.roles ?? [];
          // One entry per role assumed, each with its account when it is another.
          expect(roles).toHaveLength(drawn.roles.length);
          for (const role of drawn.roles) {
            const name = role.name.split("/").pop() as string;
            expect(roles).toContainEqual(role.account === HOME ? { name } : { name, account: role.account });
          }
          const users = yaml.users ?? [];
          const creator = drawn.roles[0];
          expect(users).toEqual(
            drawn.created !== undefined && creator !== undefined
              ? [creator.account === HOME ? { name: "backdoor" } : { name: "backdoor", account: creator.account }]
              : [],
          );
        }
      }),
      { numRuns: 150 },
    );
  });

  it("with no call of the key's own in the logs: every role gets its account, since none can be left to the incident's", async () => {
    const roleArn = "arn:aws:iam::444455556666:role/data-loader";
    const review = await reviewOf([
      record({
        eventId: "assume",
        eventName: "AssumeRole",
        eventSource: "sts.amazonaws.com",
        accountId: "",
        requestParameters: { roleArn },
        responseElements: { credentials: { accessKeyId: "ASIAEXAMPLESESSION01" } },
      }),
    ]);
    expect(review.keyAccount).toBe(null);
    expect(pasted(renderMarkdown(review, context)).roles).toEqual([{ name: "data-loader", account: "444455556666" }]);
  });

  it("reads the account of a role ARN in any partition, and nothing from other strings", () => {
    expect(
      [
        "arn:aws:iam::444455556666:role/data-loader",
        "arn:aws-us-gov:iam::444455556666:role/a/b/c",
        "arn:aws:iam::44445555666:role/short",
        "arn:aws:iam::444455556666:user/alice",
        "data-loader",
      ].map(accountOfRoleArn),
    ).toEqual(["444455556666", "444455556666", null, null, null]);
  });

  it("are named by the command from log files, as the markdown's YAML to paste", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-accounts-"));
    const drawn: Scenario = {
      calls: [HOME, "444455556666"],
      roles: [
        { account: "444455556666", name: "data-loader", calls: 2 },
        { account: HOME, name: "deploy", calls: 1 },
      ],
      created: "444455556666",
    };
    writeFileSync(join(dir, "trail.json"), JSON.stringify({ Records: recordsOf(drawn) }));
    const io = memoryIo({ cwd: dir });
    expect(await main(["review", "--access-key", KEY, "--from-logs", ".", "--markdown"], io)).toBe(0);
    expect(io.stdout).toContain(
      [
        "#### Accounts reached (2)",
        "",
        "| account | whose | events received | roles assumed |",
        "|---|---|---|---|",
        // The key's ListBuckets, AssumeRole of deploy, and deploy's call; into 444455556666: a
        // ListBuckets, the AssumeRole of data-loader, data-loader's two calls and its CreateUser.
        "| 111122223333 | the reviewed key's | 3 | deploy |",
        "| 444455556666 | - | 5 | data-loader |",
      ].join("\n"),
    );
    expect(io.stdout).toContain(
      [
        "```yaml",
        "users:",
        "  - name: backdoor",
        '    account: "444455556666"',
        "roles:",
        "  - name: deploy  # arn:aws:iam::111122223333:role/deploy",
        "  - name: data-loader  # arn:aws:iam::444455556666:role/data-loader",
        '    account: "444455556666"',
        "```",
      ].join("\n"),
    );
  });
});

describe("an account the key reached that the review did not read (review item 2)", () => {
  /**
   * The key's own call, received by its account; each role assumed in some account (the caller's
   * copy of AssumeRole, received by the key's account), its session making calls there or not (a
   * role session's calls are logged in the role's account); the accounts the source says it read.
   */
  const drawnReads = fc.record({
    roles: fc.uniqueArray(
      fc.record({
        account: fc.constantFrom(HOME, ...OTHERS),
        name: fc.constantFrom("deploy", "data-loader"),
        calls: fc.nat({ max: 2 }),
      }),
      { maxLength: 4, selector: (role) => `${role.account}/${role.name}` },
    ),
    named: fc.subarray([HOME, ...OTHERS]),
  });
  const recordsRead = ({ roles }: { roles: { account: string; name: string; calls: number }[] }) => [
    record({ eventId: "own", eventName: "ListBuckets", eventSource: "s3.amazonaws.com" }),
    ...roles.flatMap((role, i) => {
      const session = `ASIAEXAMPLESESSION${String(i).padStart(2, "0")}`;
      return [
        record({
          eventId: `assume-${i}`,
          eventName: "AssumeRole",
          eventSource: "sts.amazonaws.com",
          requestParameters: { roleArn: `arn:aws:iam::${role.account}:role/${role.name}`, roleSessionName: "s" },
          responseElements: { credentials: { accessKeyId: session, expiration: "2026-11-28T03:00:00Z" } },
        }),
        ...Array.from({ length: role.calls }, (_, c) =>
          record({
            eventId: `session-${i}-${c}`,
            eventName: "DescribeInstances",
            eventTime: "2026-11-28T02:10:00Z",
            accessKeyId: session,
            identityType: "AssumedRole",
            accountId: role.account,
          }),
        ),
      ];
    }),
  ];

  it("is each account reached, neither named read by the source nor the recipient of an event read: said in every format, and the review is incomplete (property)", async () => {
    await fc.assert(
      fc.asyncProperty(drawnReads, async (drawn) => {
        const review = await reviewOf(recordsRead(drawn));
        const read: ReviewContext = {
          ...context,
          accountsRead: { accounts: drawn.named, toRead: (account) => `read ${account} so` },
        };
        const received = new Set([HOME, ...drawn.roles.filter((role) => role.calls > 0).map((role) => role.account)]);
        const expected = [...new Set(drawn.roles.map((role) => role.account))]
          .filter((account) => !received.has(account) && !drawn.named.includes(account))
          .sort();
        expect(unreadAccounts(review, read).map((account) => account.account)).toEqual(expected);
        expect(incomplete(review, read)).toBe(expected.length > 0);

        const text = renderText(review, read);
        const markdown = renderMarkdown(review, read);
        const html = renderHtml(review, read);
        const json = JSON.parse(renderJson(review, read)) as {
          review: { complete: boolean; unreadable: { part: string; reason: string; account?: string }[] };
        };
        expect(json.review.complete).toBe(expected.length === 0);
        expect(json.review.unreadable.map((part) => [part.part, part.account])).toEqual(
          expected.map((account) => [`account ${account}`, account]),
        );
        for (const account of expected) {
          const roles = drawn.roles
            .filter((role) => role.account === account)
            .map((role) => role.name)
            .sort();
          const reason = `${roles.length === 1 ? "role" : "roles"} ${roles.join(", ")} assumed there, and none of its CloudTrail was read: read ${account} so`;
          expect(json.review.unreadable).toContainEqual({ part: `account ${account}`, reason, account });
          expect(text).toContain(`\n  ${account}: ${reason}\n`);
          expect(text).toContain(`\n  ${account}  not read (INCOMPLETE above)\n`);
          expect(markdown).toContain(`\n> ${account}: ${reason}\n`);
          expect(markdown).toContain(`\n| ${account} | - | not read (INCOMPLETE) |`);
          expect(html).toContain(`<p class="problem">${account}: ${reason}</p>`);
        }
        const said = `INCOMPLETE: ${expected.length === 1 ? "1 account the key reached was" : `${expected.length} accounts the key reached were`} not read; what was done there is missing from this review:`;
        for (const output of [text, markdown, html]) expect(output.includes(said)).toBe(expected.length > 0);
      }),
      { numRuns: 200 },
    );
  });

  /** The key assumes data-loader in 444455556666; the session's calls there are logged there, in a file of that account's. */
  const crossAccount = (withTheirFile: boolean) => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-accounts-"));
    const [own, assume, ...theirs] = recordsRead({
      roles: [{ account: "444455556666", name: "data-loader", calls: 1 }],
    });
    writeFileSync(
      join(dir, `${HOME}_CloudTrail_us-east-1_20261128T0205Z_abcdefghijklmnop.json`),
      JSON.stringify({ Records: [own, assume] }),
    );
    if (withTheirFile)
      writeFileSync(
        join(dir, "444455556666_CloudTrail_us-east-1_20261128T0215Z_abcdefghijklmnop.json"),
        JSON.stringify({ Records: theirs }),
      );
    return dir;
  };

  it("from log files: a role session in an account whose files are not there is INCOMPLETE, exit 2, in every format", async () => {
    const dir = crossAccount(false);
    const reason =
      "role data-loader assumed there, and none of its CloudTrail was read: no log file under . is of it, and no event read was received by it; add its log files there, or read its trail (--from-s3 or --athena with --accounts 444455556666)";
    const outputs: Record<string, string> = {};
    for (const flags of [[], ["--markdown"], ["--json"], ["--html", "review.html"]]) {
      const io = memoryIo({ cwd: dir });
      expect(await main(["review", "--access-key", KEY, "--from-logs", ".", ...flags], io)).toBe(2);
      expect(io.stderr).toContain(`cordon review: INCOMPLETE: account 444455556666 not read: ${reason}\n`);
      outputs[flags[0] ?? "text"] = io.stdout;
    }
    expect(outputs.text).toContain(
      `INCOMPLETE: 1 account the key reached was not read; what was done there is missing from this review:\n  444455556666: ${reason}\n`,
    );
    expect(outputs.text).toContain("\n  444455556666  not read (INCOMPLETE above)\n    roles assumed: data-loader\n");
    expect(outputs["--markdown"]).toContain(`> 444455556666: ${reason}\n`);
    expect(JSON.parse(outputs["--json"]).review).toMatchObject({
      complete: false,
      unreadable: [{ part: "account 444455556666", reason, account: "444455556666" }],
    });
    expect(readFileSync(join(dir, "review.html"), "utf8")).toContain(`<p class="problem">444455556666: ${reason}</p>`);
  });

  it("from log files: the account of a file is what CloudTrail's name or folder says, and nothing else (property)", () => {
    const account = fc.stringMatching(/^\d{12}$/);
    const region = fc.constantFrom("us-east-1", "eu-west-1", "ap-southeast-6");
    const name = fc
      .tuple(
        account,
        region,
        fc.date({ min: new Date("2015-01-01"), max: new Date("2035-01-01"), noInvalidDate: true }),
      )
      .map(([id, where, at]) => {
        const stamp = at.toISOString().slice(0, 16).replace(/[-:]/g, "");
        return [id, `${id}_CloudTrail_${where}_${stamp}Z_AbCdEfGhIjKlMnOp.json.gz`, where] as const;
      });
    fc.assert(
      fc.property(
        name,
        fc.constantFrom("", "logs/", "o-abc1234567/"),
        fc.boolean(),
        ([id, file, where], before, folders) => {
          const path = folders ? `${before}AWSLogs/${id}/CloudTrail/${where}/2026/11/28/${file}` : `${before}${file}`;
          expect(accountOfLogFile(path)).toBe(id);
          // In a folder of CloudTrail's, the folder says it even when the file is renamed.
          if (folders) expect(accountOfLogFile(path.replace(file, "export.json"))).toBe(id);
        },
      ),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        fc.pre(!/\d{12}_CloudTrail_|AWSLogs/.test(text));
        expect(accountOfLogFile(text)).toBe(null);
      }),
    );
    expect(
      [
        "trail.json",
        "111122223333.json",
        "111122223333_CloudTrail_us-east-1.json",
        "x/1111222233334_CloudTrail_us-east-1_20261128T0205Z_a.json",
      ].map(accountOfLogFile),
    ).toEqual([null, null, null, null]);
  });

  it("from log files: with that account's files beside them (CloudTrail's names), it is read, exit 0", async () => {
    const io = memoryIo({ cwd: crossAccount(true) });
    expect(await main(["review", "--access-key", KEY, "--from-logs", ".", "--json"], io)).toBe(0);
    expect(JSON.parse(io.stdout).review).toMatchObject({ complete: true, unreadable: [] });
  });
});

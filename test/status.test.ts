/**
 * status at, before and after each boundary: cutoff + 36 h when a user is named, + 12 h for roles
 * only, holdUntil when later, and the recorded instant of an at-containment incident.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";

let dir: string;
const incidents: Record<string, object> = {
  "2026-11-28-user-key": {
    title: "A user's key",
    account: "123456789012",
    cutoff: "2026-11-28T10:00:00Z",
    users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
  },
  "2026-11-28-roles-only": {
    title: "A role's sessions",
    account: "123456789012",
    cutoff: "2026-11-28T10:00:00Z",
    roles: [{ name: "deploy" }],
  },
  "2026-11-28-held": {
    title: "Held longer",
    account: "123456789012",
    cutoff: "2026-11-28T10:00:00Z",
    mode: "deny-all",
    holdUntil: "2026-12-01T00:00:00Z",
    users: [{ name: "svc-backup" }],
  },
  "2026-11-28-at-containment": {
    title: "Contained on merge",
    account: "123456789012",
    cutoff: "at-containment",
    users: [{ name: "dana" }],
    roles: [{ name: "analytics" }],
  },
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cordon-status-"));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
  mkdirSync(join(dir, "incidents"));
  for (const [id, body] of Object.entries(incidents))
    writeFileSync(join(dir, "incidents", `${id}.yaml`), stringify({ id, ...body }));
  writeFileSync(
    join(dir, "outputs.json"),
    JSON.stringify({
      account: "123456789012",
      replacementRoles: [],
      incidents: {
        "2026-11-28-at-containment": {
          cutoff: "2026-11-28T12:26:00Z",
          atContainment: true,
          expiresAt: "2026-11-30T00:26:00Z",
          mode: "revoke-older-sessions",
          principals: [],
          accessKeys: [],
        },
      },
    }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function status(args: string[]) {
  const io = memoryIo({ cwd: dir });
  const code = await main(["status", ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

async function statusOf(id: string, now: string, extra: string[] = []) {
  const result = await status(["--json", "--now", now, ...extra]);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { incidents: { id: string }[] }).incidents.find((i) => i.id === id);
}

describe.each([
  {
    incident: "2026-11-28-user-key",
    boundary: "cutoff + 36 h (a user is named)",
    expiresAt: "2026-11-29T22:00:00Z",
    cutoff: "2026-11-28T10:00:00Z",
    holdUntil: null,
    consoleSessions: {
      latestEnd: "2026-11-30T10:00:00Z",
      reviews: [
        "npx cordon review --access-key AKIAIOSFODNN7EXAMPLE --since 2026-11-28T10:00:00Z --until 2026-11-30T10:00:00Z",
      ],
      reviewAfter: "2026-11-29T22:15:00Z",
      cloudTrail:
        "look in CloudTrail for GetSigninToken by sessions of its principals from 2026-11-28T10:00:00Z to 2026-11-29T22:00:00Z",
    },
    extra: [],
  },
  {
    incident: "2026-11-28-roles-only",
    boundary: "cutoff + 12 h (roles only)",
    expiresAt: "2026-11-28T22:00:00Z",
    cutoff: "2026-11-28T10:00:00Z",
    holdUntil: null,
    consoleSessions: {
      latestEnd: "2026-11-29T10:00:00Z",
      reviews: [],
      reviewAfter: "2026-11-28T22:15:00Z",
      cloudTrail:
        "look in CloudTrail for GetSigninToken by sessions of its principals from 2026-11-28T10:00:00Z to 2026-11-28T22:00:00Z",
    },
    extra: [],
  },
  {
    incident: "2026-11-28-held",
    boundary: "holdUntil, later than cutoff + 36 h",
    expiresAt: "2026-12-01T00:00:00Z",
    cutoff: "2026-11-28T10:00:00Z",
    holdUntil: "2026-12-01T00:00:00Z",
    // held past cutoff + 36 h + 12 h: no console session opened before the expiry outlives it
    consoleSessions: null,
    extra: [],
  },
  {
    incident: "2026-11-28-at-containment",
    boundary: "recorded containment instant + 36 h (--stack-outputs)",
    expiresAt: "2026-11-30T00:26:00Z",
    cutoff: "2026-11-28T12:26:00Z",
    holdUntil: null,
    consoleSessions: {
      latestEnd: "2026-11-30T12:26:00Z",
      reviews: [],
      reviewAfter: "2026-11-30T00:41:00Z",
      cloudTrail:
        "look in CloudTrail for GetSigninToken by sessions of its principals from 2026-11-28T12:26:00Z to 2026-11-30T00:26:00Z",
    },
    extra: ["--stack-outputs", "outputs.json"],
  },
])("$incident expires at $boundary", ({ incident, expiresAt, cutoff, holdUntil, consoleSessions, extra }) => {
  const at = Date.parse(expiresAt);
  const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
  it.each([
    { when: "one second before", now: iso(at - 1000), removable: false, timeLeftSeconds: 1 },
    { when: "exactly at", now: iso(at), removable: true, timeLeftSeconds: 0 },
    { when: "one second after", now: iso(at + 1000), removable: true, timeLeftSeconds: 0 },
  ])("$when the expiry: removable $removable", async ({ now, removable, timeLeftSeconds }) => {
    expect(await statusOf(incident, now, extra)).toEqual({
      id: incident,
      file: `incidents/${incident}.yaml`,
      mode: incident === "2026-11-28-held" ? "deny-all" : "revoke-older-sessions",
      cutoff,
      expiresAt,
      removable,
      timeLeftSeconds,
      atContainment: incident === "2026-11-28-at-containment",
      cutoffPending: false,
      holdUntil,
      goneAccessKeys: [],
      accounts: ["123456789012"],
      organization: { scp: false, rcp: false },
      // A console session opened from a session minted before the cutoff lives 12 h past the expiry.
      consoleSessions,
    });
  });
});

it("holdUntil keeps an incident past cutoff + 36 h", async () => {
  expect(await statusOf("2026-11-28-held", "2026-11-29T22:00:00Z")).toMatchObject({
    removable: false,
    timeLeftSeconds: 26 * 3600,
  });
});

it.each(["2026-11-28T12:00:00Z", "2026-12-31T00:00:00Z", "2030-01-01T00:00:00Z"])(
  "an at-containment incident without a recorded instant is never removable, even at %s: its expiry is unknown",
  async (now) => {
    expect(await statusOf("2026-11-28-at-containment", now)).toEqual({
      id: "2026-11-28-at-containment",
      file: "incidents/2026-11-28-at-containment.yaml",
      mode: "revoke-older-sessions",
      cutoff: "at-containment",
      expiresAt: null,
      removable: false,
      timeLeftSeconds: null,
      atContainment: true,
      cutoffPending: true,
      holdUntil: null,
      goneAccessKeys: [],
      accounts: ["123456789012"],
      organization: { scp: false, rcp: false },
      consoleSessions: null,
    });
  },
);

it("prints a readable table, says what can go and how to learn the pending expiry", async () => {
  const result = await status(["--now", "2026-11-29T22:00:00Z"]);
  expect(result).toEqual({
    code: 0,
    stderr: "",
    stdout: [
      "INCIDENT                   CUTOFF                EXPIRES               LEFT  STATUS",
      "2026-11-28-at-containment  at-containment        unknown               ?     active: pending containment, expiry unknown (pass --stack-outputs)",
      "2026-11-28-held            2026-11-28T10:00:00Z  2026-12-01T00:00:00Z  26 h  active (holdUntil)",
      "2026-11-28-roles-only      2026-11-28T10:00:00Z  2026-11-28T22:00:00Z  0     removable: delete incidents/2026-11-28-roles-only.yaml",
      "2026-11-28-user-key        2026-11-28T10:00:00Z  2026-11-29T22:00:00Z  0     removable: delete incidents/2026-11-28-user-key.yaml",
      "",
      "2 of 4 can be removed now: delete incidents/2026-11-28-roles-only.yaml, incidents/2026-11-28-user-key.yaml in a pull request (guard lets expired incidents go)",
      "console sessions are not covered past the expiry: a session minted before the cutoff can open one (GetSigninToken), which lives up to 12 h after it is opened. Before deleting a file, run the review below; if it lists a console session ending after the expiry, set holdUntil to that session's until instead:",
      "  2026-11-28-roles-only (expired 2026-11-28T22:00:00Z; after 2026-11-28T22:15:00Z, once CloudTrail has delivered its last calls): it lists no access key to review by: look in CloudTrail for GetSigninToken by sessions of its principals from 2026-11-28T10:00:00Z to 2026-11-28T22:00:00Z",
      "  2026-11-28-user-key (expired 2026-11-29T22:00:00Z; after 2026-11-29T22:15:00Z, once CloudTrail has delivered its last calls): npx cordon review --access-key AKIAIOSFODNN7EXAMPLE --since 2026-11-28T10:00:00Z --until 2026-11-30T10:00:00Z; for the sessions of keys it does not list and of its roles, look in CloudTrail for GetSigninToken by sessions of its principals from 2026-11-28T10:00:00Z to 2026-11-29T22:00:00Z",
      "1 pending containment: their instant is recorded by pulumi up; pass --stack-outputs FILE (pulumi stack output --json) to know their expiry",
      "",
    ].join("\n"),
  });
});

it("an instant recorded for other keys than the file lists now is not the incident's: pending, never removable", async () => {
  const recorded = JSON.parse(readFileSync(join(dir, "outputs.json"), "utf8"));
  recorded.incidents["2026-11-28-at-containment"].accessKeys = ["AKIAJ7Q2EXAMPLEKEY77"];
  writeFileSync(join(dir, "outputs-other-keys.json"), JSON.stringify(recorded));
  expect(
    await statusOf("2026-11-28-at-containment", "2026-12-05T00:00:00Z", ["--stack-outputs", "outputs-other-keys.json"]),
  ).toMatchObject({ removable: false, cutoffPending: true, expiresAt: null });
});

it("says which listed keys IAM no longer had at the last pulumi up (from --stack-outputs): deleted, contained", async () => {
  writeFileSync(
    join(dir, "outputs-gone.json"),
    JSON.stringify({
      account: "123456789012",
      incidents: {
        "2026-11-28-user-key": {
          cutoff: "2026-11-28T10:00:00Z",
          atContainment: false,
          goneAccessKeys: ["AKIAIOSFODNN7EXAMPLE"],
        },
      },
    }),
  );
  expect(
    await statusOf("2026-11-28-user-key", "2026-11-29T12:00:00Z", ["--stack-outputs", "outputs-gone.json"]),
  ).toMatchObject({ removable: false, goneAccessKeys: ["AKIAIOSFODNN7EXAMPLE"] });
  const text = await status(["--now", "2026-11-29T12:00:00Z", "--stack-outputs", "outputs-gone.json"]);
  expect(text.stdout.split("\n").slice(-2)).toEqual([
    "2026-11-28-user-key: AKIAIOSFODNN7EXAMPLE deleted in IAM: contained, nothing to disable",
    "",
  ]);
  // Without the stack outputs, nothing is known of it.
  expect(await statusOf("2026-11-28-user-key", "2026-11-29T12:00:00Z")).toMatchObject({ goneAccessKeys: [] });
});

it("an empty folder has nothing to remove", async () => {
  const empty = mkdtempSync(join(tmpdir(), "cordon-status-empty-"));
  writeFileSync(join(empty, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
  mkdirSync(join(empty, "incidents"));
  const io = memoryIo({ cwd: empty });
  expect(await main(["status", "--now", "2026-11-29T22:00:00Z"], io)).toBe(0);
  expect(io.stdout).toBe("no incidents in incidents/: nothing is contained, nothing to remove\n");
  const json = memoryIo({ cwd: empty });
  expect(await main(["status", "--json"], json)).toBe(0);
  expect(JSON.parse(json.stdout)).toEqual({ incidents: [], credentials: [] });
  rmSync(empty, { recursive: true, force: true });
});

it("any invalid file: its diagnostics and exit 1, and no status at all", async () => {
  const broken = mkdtempSync(join(tmpdir(), "cordon-status-broken-"));
  writeFileSync(join(broken, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
  mkdirSync(join(broken, "incidents"));
  writeFileSync(
    join(broken, "incidents", "2026-11-28-user-key.yaml"),
    stringify({ id: "2026-11-28-user-key", ...incidents["2026-11-28-user-key"] }),
  );
  writeFileSync(
    join(broken, "incidents", "2026-11-28-bad.yaml"),
    stringify({
      id: "2026-11-28-bad",
      title: "Bad",
      account: "12345",
      cutoff: "2026-11-28T10:00:00Z",
      users: [{ name: "x" }],
    }),
  );
  const io = memoryIo({ cwd: broken });
  expect(await main(["status", "--json", "--now", "2026-11-29T22:00:00Z"], io)).toBe(1);
  expect(io.stdout).toBe("");
  expect(io.stderr).toBe(
    'incidents/2026-11-28-bad.yaml:3:10 E_ACCOUNT account: found "12345", expected an AWS account id of 12 digits\n1 error in 1 file: nothing is planned while any incident file is invalid\n',
  );
  rmSync(broken, { recursive: true, force: true });
});

it.each([
  {
    what: "a missing stack outputs file",
    file: "missing.json",
    message:
      /^cordon status: --stack-outputs .*missing\.json: cannot read it \(ENOENT\); run `npx cordon status --help` for its options$/,
  },
  {
    what: "stack outputs without incidents",
    file: "incidents/../outputs-empty.json",
    message:
      /^cordon status: --stack-outputs .*outputs-empty\.json: expected the JSON of `pulumi stack output --json`, with an "incidents" object; run `npx cordon status --help` for its options$/,
  },
])("$what is a usage error (exit 2)", async ({ file, message }) => {
  writeFileSync(join(dir, "outputs-empty.json"), "{}");
  const result = await status(["--stack-outputs", file, "--now", "2026-11-29T22:00:00Z"]);
  expect(result.code).toBe(2);
  expect(result.stderr.split("\n")).toHaveLength(2);
  expect(result.stderr.split("\n")[0]).toMatch(message);
});

describe("an incident over several accounts (issue 11)", () => {
  let multi: string;
  beforeAll(() => {
    multi = mkdtempSync(join(tmpdir(), "cordon-status-multi-"));
    writeFileSync(join(multi, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
    mkdirSync(join(multi, "incidents"));
    const id = "2026-11-28-cross";
    const body = {
      id,
      title: "t",
      account: "111111111111",
      cutoff: "at-containment",
      users: [{ name: "build-bot" }],
      roles: [{ name: "data-loader", account: "444444444444" }],
      organization: { scp: true, rcp: true },
    };
    writeFileSync(join(multi, "incidents", `${id}.yaml`), stringify(body));
    // Several stacks' instants of one incident (the owner's and a copy): the later one decides when the file may go.
    const outputs = (account: string, cutoff: string) =>
      JSON.stringify({ account, incidents: { [id]: { cutoff, atContainment: true } } });
    writeFileSync(join(multi, "a.json"), outputs("111111111111", "2026-11-28T12:00:00Z"));
    writeFileSync(join(multi, "b.json"), outputs("444444444444", "2026-11-28T12:05:00Z"));
  });
  afterAll(() => rmSync(multi, { recursive: true, force: true }));

  it("lasts until the latest instant any of its stacks recorded, and names its accounts and guardrails", async () => {
    const run = async (args: string[]) => {
      const io = memoryIo({ cwd: multi });
      const code = await main(["status", ...args], io);
      return { code, stdout: io.stdout };
    };
    const json = await run([
      "--json",
      "--now",
      "2026-11-30T00:02:00Z",
      "--stack-outputs",
      "a.json",
      "--stack-outputs",
      "b.json",
    ]);
    expect(JSON.parse(json.stdout).incidents[0]).toMatchObject({
      cutoff: "2026-11-28T12:05:00Z",
      expiresAt: "2026-11-30T00:05:00Z",
      removable: false,
      accounts: ["111111111111", "444444444444"],
      organization: { scp: true, rcp: true },
    });
    // With the first stack's outputs alone it would look removable: every stack's outputs count.
    expect(
      JSON.parse((await run(["--json", "--now", "2026-11-30T00:02:00Z", "--stack-outputs", "a.json"])).stdout)
        .incidents[0].removable,
    ).toBe(true);
    const text = await run(["--now", "2026-11-30T00:02:00Z", "--stack-outputs", "a.json", "--stack-outputs", "b.json"]);
    expect(text.stdout.split("\n").at(-2)).toBe(
      "2026-11-28-cross: shares in accounts 111111111111, 444444444444, and the organization SCP and RCP",
    );
  });
});

describe("console sessions the expiry does not cover, as the CLI prints them (node cli/cordon.js status)", () => {
  const CLI = join(import.meta.dirname, "..", "cli", "cordon.js");
  let project: string;
  const id = "2026-11-28-console";
  const write = (extra: object = {}) =>
    writeFileSync(
      join(project, "incidents", `${id}.yaml`),
      stringify({
        id,
        title: "A key whose session opened the console",
        account: "123456789012",
        cutoff: "2026-11-28T10:00:00Z",
        users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
        ...extra,
      }),
    );
  const cordon = (args: string[]) =>
    spawnSync(process.execPath, [CLI, "status", ...args], { cwd: project, encoding: "utf8" });
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), "cordon-status-console-"));
    writeFileSync(join(project, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
    mkdirSync(join(project, "incidents"));
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  it("a removable incident: the review to run first, up to its expiry + 12 h; held by holdUntil to a console session's end, it stays", () => {
    write();
    const removable = cordon(["--now", "2026-11-29T23:00:00Z"]);
    expect([removable.status, removable.stderr]).toEqual([0, ""]);
    expect(removable.stdout.split("\n").slice(-3)).toEqual([
      "console sessions are not covered past the expiry: a session minted before the cutoff can open one (GetSigninToken), which lives up to 12 h after it is opened. Before deleting a file, run the review below; if it lists a console session ending after the expiry, set holdUntil to that session's until instead:",
      `  ${id} (expired 2026-11-29T22:00:00Z; after 2026-11-29T22:15:00Z, once CloudTrail has delivered its last calls): npx cordon review --access-key AKIAIOSFODNN7EXAMPLE --since 2026-11-28T10:00:00Z --until 2026-11-30T10:00:00Z; for the sessions of keys it does not list and of its roles, look in CloudTrail for GetSigninToken by sessions of its principals from 2026-11-28T10:00:00Z to 2026-11-29T22:00:00Z`,
      "",
    ]);
    const json = cordon(["--now", "2026-11-29T23:00:00Z", "--json"]);
    expect(JSON.parse(json.stdout).incidents[0].consoleSessions).toEqual({
      latestEnd: "2026-11-30T10:00:00Z",
      reviews: [
        "npx cordon review --access-key AKIAIOSFODNN7EXAMPLE --since 2026-11-28T10:00:00Z --until 2026-11-30T10:00:00Z",
      ],
      reviewAfter: "2026-11-29T22:15:00Z",
      cloudTrail:
        "look in CloudTrail for GetSigninToken by sessions of its principals from 2026-11-28T10:00:00Z to 2026-11-29T22:00:00Z",
    });
    // The review listed a console session opened at 21:30, until 2026-11-30T09:30:00Z: held to its end.
    write({ holdUntil: "2026-11-30T09:30:00Z" });
    const held = cordon(["--now", "2026-11-29T23:00:00Z"]);
    expect([held.status, held.stderr]).toEqual([0, ""]);
    expect(held.stdout).toContain(`${id}  2026-11-28T10:00:00Z  2026-11-30T09:30:00Z  10 h 30 min  active (holdUntil)`);
    expect(held.stdout).not.toContain("console sessions");
  });
});

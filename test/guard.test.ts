/**
 * guard on real temporary git repositories: one case per rule, both directions (the weakening
 * fails with its exact message, the matching strengthening passes), expired incidents, moved files,
 * the emergency override and git errors.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import {
  byPath,
  type Content,
  edit,
  git,
  newFolder,
  newRepo,
  type Raw,
  removeRepos,
  runGuard as guard,
} from "./support/git-repo.ts";
import { usageOutput } from "./support/usage.ts";

/** The guard judges at this instant: the ci-key incident (cutoff 10:00 the day before, a user) has 10 h left. */
const NOW = "2026-11-29T12:00:00Z";

const ciKey = (): Raw => ({
  id: "2026-11-28-ci-key",
  title: "CI key in a public repository",
  account: "123456789012",
  cutoff: "2026-11-28T10:00:00Z",
  users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE", "AKIAI44QH8DHBEXAMPLE"] }],
  roles: [{ name: "deploy" }, { name: "analytics" }],
});
const laptop = (): Raw => ({
  id: "2026-11-28-laptop",
  title: "Backup key on a stolen laptop",
  account: "123456789012",
  cutoff: "2026-11-28T09:00:00Z",
  mode: "deny-all",
  holdUntil: "2026-12-01T00:00:00Z",
  users: [{ name: "svc-backup" }],
});
const ticket = (): Raw => ({
  id: "2026-11-28-ticket",
  title: "Key pasted into a ticket",
  account: "123456789012",
  cutoff: "at-containment",
  users: [{ name: "dana", accessKeys: ["AKIAJ7Q2EXAMPLEKEY77"] }],
});

afterAll(removeRepos);

/** A repository whose `incidents/` holds exactly `files` (path -> incident), committed; returns the commit. */
function commitIncidents(dir: string, files: Record<string, Content>, message: string): string {
  rmSync(join(dir, "incidents"), { recursive: true, force: true });
  mkdirSync(join(dir, "incidents"), { recursive: true });
  writeFileSync(join(dir, "incidents", "README.md"), "incidents\n");
  for (const [path, incident] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), stringify(incident));
  }
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "--allow-empty", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

/** Commits `base`, then `head`, and runs guard between them. */
async function guardChange(base: Raw[], head: Raw[], extra: string[] = []) {
  const dir = newRepo();
  const from = commitIncidents(dir, byPath(...base), "base");
  const to = commitIncidents(dir, byPath(...head), "head");
  return guard(dir, ["--base", from, "--head", to, "--now", NOW, ...extra]);
}

const CI =
  "incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key is active until 2026-11-29T22:00:00Z (10 h left)";
const LAPTOP =
  "incidents/2026-11-28-laptop.yaml: incident 2026-11-28-laptop is active until 2026-12-01T00:00:00Z (36 h left)";
const TICKET =
  "incidents/2026-11-28-ticket.yaml: incident 2026-11-28-ticket is active until an unknown instant (cutoff at-containment, no recorded instant: pass --stack-outputs FILE)";
const refusal = (n: number) =>
  `guard: ${n} ${n === 1 ? "change weakens an incident" : "changes weaken incidents"} that ${n === 1 ? "is" : "are"} still active: keep ${n === 1 ? "it" : "them"} until ${n === 1 ? "it expires" : "they expire"} (cordon status), or, for an approved emergency, run guard with --allow-early-removal\n`;

describe("a weakening of an active incident fails with its exact message; the matching strengthening passes", () => {
  it.each([
    {
      rule: "file deleted",
      weaker: [laptop()],
      stronger: [ciKey(), laptop(), ticket()],
      messages: [`${CI}: removing it re-enables sessions minted before the cutoff`],
    },
    {
      rule: "deny-all file deleted",
      weaker: [ciKey()],
      stronger: [ciKey(), laptop()],
      messages: [`${LAPTOP}: removing it lifts the deny on every request of its principals`],
    },
    {
      rule: "user removed (and with it its keys)",
      weaker: [edit(ciKey(), (i) => (i.users = [])), laptop()],
      stronger: [edit(ciKey(), (i) => (i.users as unknown[]).push({ name: "ci-reader" })), laptop()],
      messages: [
        `${CI}: removing user "ci-deployer" re-enables the sessions of user "ci-deployer" minted before the cutoff`,
        `${CI}: removing access key AKIAIOSFODNN7EXAMPLE (user "ci-deployer") stops keeping it disabled: a key re-enabled by hand would stay enabled`,
        `${CI}: removing access key AKIAI44QH8DHBEXAMPLE (user "ci-deployer") stops keeping it disabled: a key re-enabled by hand would stay enabled`,
      ],
    },
    {
      rule: "role removed",
      weaker: [edit(ciKey(), (i) => (i.roles = [{ name: "deploy" }])), laptop()],
      stronger: [edit(ciKey(), (i) => (i.roles as unknown[]).push({ name: "release" })), laptop()],
      messages: [
        `${CI}: removing role "analytics" re-enables the sessions of role "analytics" minted before the cutoff`,
      ],
    },
    {
      rule: "user of a deny-all incident removed",
      weaker: [ciKey(), edit(laptop(), (i) => (i.users = [{ name: "svc-backup-2" }]))],
      stronger: [ciKey(), edit(laptop(), (i) => (i.users as unknown[]).push({ name: "svc-backup-2" }))],
      messages: [`${LAPTOP}: removing user "svc-backup" lifts the deny on every request of user "svc-backup"`],
    },
    {
      rule: "access key removed",
      weaker: [
        edit(ciKey(), (i) => ((i.users as { accessKeys: string[] }[])[0].accessKeys = ["AKIAIOSFODNN7EXAMPLE"])),
        laptop(),
      ],
      stronger: [
        edit(ciKey(), (i) => (i.users as { accessKeys: string[] }[])[0].accessKeys.push("AKIAZZZZZZZZZZZZZZZZ")),
        laptop(),
      ],
      messages: [
        `${CI}: removing access key AKIAI44QH8DHBEXAMPLE (user "ci-deployer") stops keeping it disabled: a key re-enabled by hand would stay enabled`,
      ],
    },
    {
      rule: "cutoff moved earlier",
      weaker: [edit(ciKey(), (i) => (i.cutoff = "2026-11-28T09:00:00Z")), laptop()],
      stronger: [edit(ciKey(), (i) => (i.cutoff = "2026-11-28T11:00:00Z")), laptop()],
      messages: [
        `${CI}: moving the cutoff from 2026-11-28T10:00:00Z to 2026-11-28T09:00:00Z re-enables sessions minted between 2026-11-28T09:00:00Z and 2026-11-28T10:00:00Z`,
      ],
    },
    {
      rule: "cutoff moved earlier, written with another offset",
      weaker: [edit(ciKey(), (i) => (i.cutoff = "2026-11-28T10:30:00+01:00")), laptop()],
      stronger: [edit(ciKey(), (i) => (i.cutoff = "2026-11-28T11:30:00+01:00")), laptop()],
      messages: [
        `${CI}: moving the cutoff from 2026-11-28T10:00:00Z to 2026-11-28T09:30:00Z re-enables sessions minted between 2026-11-28T09:30:00Z and 2026-11-28T10:00:00Z`,
      ],
    },
    {
      rule: "at-containment replaced by an instant while the recorded instant is unknown",
      base: [ciKey(), laptop(), ticket()],
      weaker: [ciKey(), laptop(), edit(ticket(), (i) => (i.cutoff = "2026-11-29T11:00:00Z"))],
      stronger: [edit(ciKey(), (i) => (i.cutoff = "at-containment")), laptop(), ticket()],
      messages: [
        `${TICKET}: replacing cutoff at-containment (no recorded instant: pass --stack-outputs FILE) by 2026-11-29T11:00:00Z may re-enable sessions minted between 2026-11-29T11:00:00Z and the containment`,
      ],
    },
    {
      rule: "mode lowered from deny-all",
      weaker: [ciKey(), edit(laptop(), (i) => (i.mode = "revoke-older-sessions"))],
      stronger: [edit(ciKey(), (i) => (i.mode = "deny-all")), laptop()],
      messages: [
        `${LAPTOP}: lowering the mode from deny-all to revoke-older-sessions lets its principals act again with sessions minted after the cutoff and with keys that are not disabled`,
      ],
    },
    {
      rule: "holdUntil shortened",
      weaker: [ciKey(), edit(laptop(), (i) => (i.holdUntil = "2026-11-30T12:00:00Z"))],
      stronger: [ciKey(), edit(laptop(), (i) => (i.holdUntil = "2026-12-02T00:00:00Z"))],
      messages: [
        `${LAPTOP}: shortening holdUntil from 2026-12-01T00:00:00Z to 2026-11-30T12:00:00Z lets it expire earlier than agreed`,
      ],
    },
    {
      rule: "holdUntil removed",
      weaker: [ciKey(), edit(laptop(), (i) => delete i.holdUntil)],
      stronger: [edit(ciKey(), (i) => (i.holdUntil = "2026-12-03T00:00:00Z")), laptop()],
      messages: [`${LAPTOP}: removing holdUntil 2026-12-01T00:00:00Z lets it expire earlier than agreed`],
    },
    {
      rule: "account changed",
      weaker: [edit(ciKey(), (i) => (i.account = "210987654321")), laptop()],
      // The same principals in a second account as well: more protection, not less.
      stronger: [
        ciKey(),
        laptop(),
        edit(
          ciKey(),
          (i) => (
            (i.id = "2026-11-29-ci-key-other-account"),
            (i.account = "210987654321"),
            (i.users = [{ name: "ci-deployer" }])
          ),
        ),
      ],
      messages: [
        `${CI}: changing the account from 123456789012 to 210987654321 lifts every deny of this incident in account 123456789012`,
      ],
    },
  ] as { rule: string; base?: Raw[]; weaker: Raw[]; stronger: Raw[]; messages: string[] }[])(
    "$rule",
    async ({ base = [ciKey(), laptop()], weaker, stronger, messages }) => {
      const refused = await guardChange(base, weaker);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(`${messages.map((m) => `error ${m}\n`).join("")}${refusal(messages.length)}`);

      const passed = await guardChange(base, stronger);
      expect(passed.stderr).toBe("");
      expect(passed.code).toBe(0);
      expect(passed.stdout).toMatch(/^guard: no active incident is removed or weakened/m);
    },
  );
});

describe("with recorded containment instants (--stack-outputs)", () => {
  const outputs = (cutoff: string) => ({
    account: "123456789012",
    replacementRoles: [],
    incidents: {
      "2026-11-28-ticket": {
        cutoff,
        atContainment: true,
        expiresAt: "",
        mode: "revoke-older-sessions",
        principals: [],
        accessKeys: ["AKIAJ7Q2EXAMPLEKEY77"],
      },
    },
  });
  async function withOutputs(base: Raw[], head: Raw[], recorded: string) {
    const dir = newRepo();
    writeFileSync(join(dir, "outputs.json"), JSON.stringify(outputs(recorded)));
    const from = commitIncidents(dir, byPath(...base), "base");
    const to = commitIncidents(dir, byPath(...head), "head");
    return guard(dir, ["--base", from, "--head", to, "--now", NOW, "--stack-outputs", "outputs.json"]);
  }

  it("an explicit cutoff earlier than the recorded instant fails; one at or after it passes", async () => {
    const earlier = await withOutputs(
      [ticket()],
      [edit(ticket(), (i) => (i.cutoff = "2026-11-28T11:00:00Z"))],
      "2026-11-28T12:00:00Z",
    );
    expect(earlier.code).toBe(1);
    expect(earlier.stderr.split("\n")[0]).toBe(
      "error incidents/2026-11-28-ticket.yaml: incident 2026-11-28-ticket is active until 2026-11-30T00:00:00Z (12 h left): moving the cutoff from 2026-11-28T12:00:00Z (recorded at containment) to 2026-11-28T11:00:00Z re-enables sessions minted between 2026-11-28T11:00:00Z and 2026-11-28T12:00:00Z (recorded at containment)",
    );
    const same = await withOutputs(
      [ticket()],
      [edit(ticket(), (i) => (i.cutoff = "2026-11-28T12:00:00Z"))],
      "2026-11-28T12:00:00Z",
    );
    expect([same.code, same.stderr]).toEqual([0, ""]);
  });

  it("an at-containment incident whose recorded instant is old enough has expired: deleting it passes", async () => {
    const expired = await withOutputs([ticket()], [], "2026-11-27T12:00:00Z");
    expect(expired.code).toBe(0);
    expect(expired.stdout).toContain(
      "ok  incidents/2026-11-28-ticket.yaml: incident 2026-11-28-ticket removed: it expired at 2026-11-29T00:00:00Z (12 h ago)\n",
    );
    const active = await withOutputs([ticket()], [], "2026-11-28T12:00:00Z");
    expect(active.code).toBe(1);
  });

  it("an instant recorded before a follow-up added a key is not the incident's: deleting it is refused until pulumi up records the new one", async () => {
    // The base lists a second key; the outputs still hold the instant recorded for the first alone.
    const twoKeys = edit(
      ticket(),
      (i) => (i.users = [{ name: "dana", accessKeys: ["AKIAJ7Q2EXAMPLEKEY77", "AKIAI44QH8DHBEXAMPLE"] }]),
    );
    const stale = await withOutputs([twoKeys], [], "2026-11-27T12:00:00Z");
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(
      "incident 2026-11-28-ticket is active until an unknown instant (cutoff at-containment, no recorded instant",
    );
    // The same removal, of the file as the instant was recorded for it, passes.
    expect((await withOutputs([ticket()], [], "2026-11-27T12:00:00Z")).code).toBe(0);
  });

  it("without the recorded instant, deleting an at-containment incident is refused: its expiry is unknown", async () => {
    const refused = await guardChange([ticket()], []);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error ${TICKET}: removing it re-enables sessions minted before the cutoff\n${refusal(1)}`,
    );
  });
});

describe("changes that pass", () => {
  it("removing and weakening expired incidents passes, and says they expired", async () => {
    const dir = newRepo();
    const from = commitIncidents(dir, byPath(ciKey(), laptop()), "base");
    const to = commitIncidents(dir, byPath(edit(laptop(), (i) => (i.mode = "revoke-older-sessions"))), "head");
    const result = await guard(dir, ["--base", from, "--head", to, "--now", "2026-12-01T00:00:00Z"]);
    expect(result).toEqual({
      code: 0,
      stderr: "",
      stdout:
        "ok  incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key removed: it expired at 2026-11-29T22:00:00Z (26 h ago)\n" +
        "ok  incidents/2026-11-28-laptop.yaml: incident 2026-11-28-laptop weakened: it expired at 2026-12-01T00:00:00Z (0 min ago)\n" +
        "guard: no active incident is removed or weakened (2 incidents at " +
        from +
        ", 1 incident at " +
        to +
        ")\n",
    });
    // One second earlier, the deny-all incident is still active.
    const before = await guard(dir, ["--base", from, "--head", to, "--now", "2026-11-30T23:59:59Z"]);
    expect(before.code).toBe(1);
  });

  it("a file moved to another folder keeps its id: nothing is removed", async () => {
    const dir = newRepo();
    const from = commitIncidents(dir, byPath(ciKey()), "base");
    const to = commitIncidents(dir, { "incidents/2026/november/2026-11-28-ci-key.yaml": ciKey() }, "moved");
    const result = await guard(dir, ["--base", from, "--head", to, "--now", NOW]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `ok  incidents/2026/november/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key moved from incidents/2026-11-28-ci-key.yaml\nguard: no active incident is removed or weakened (1 incident at ${from}, 1 incident at ${to})\n`,
    );
  });

  it("a replacement role added or changed passes, each on a line of its own: who may assume it, what it gets", async () => {
    const oidc = {
      name: "ci-deployer-oidc",
      trust: { githubOidc: { repository: "example/app", environment: "prod" } },
      managedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    };
    const builder = {
      name: "from-builder",
      trust: { principals: ["arn:aws:iam::210987654321:role/builder"] },
      inlinePolicies: { "read-input": { Version: "2012-10-17", Statement: [] } },
    };
    const dir = newRepo();
    const from = commitIncidents(
      dir,
      byPath(
        ciKey(),
        edit(laptop(), (i) => (i.replacementRoles = [oidc])),
      ),
      "base",
    );
    const to = commitIncidents(
      dir,
      byPath(
        edit(ciKey(), (i) => (i.replacementRoles = [builder])),
        edit(laptop(), (i) => {
          i.replacementRoles = [{ ...oidc, managedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"] }];
        }),
        edit(ticket(), (i) => (i.replacementRoles = [{ name: "ec2-app", trust: { service: "ec2.amazonaws.com" } }])),
      ),
      "head",
    );
    const result = await guard(dir, ["--base", from, "--head", to, "--now", NOW]);
    expect(result).toEqual({
      code: 0,
      stderr: "",
      stdout:
        "ok  incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key changed without weakening\n" +
        "ok  incidents/2026-11-28-laptop.yaml: incident 2026-11-28-laptop changed without weakening\n" +
        "ok  incidents/2026-11-28-ticket.yaml: incident 2026-11-28-ticket added\n" +
        'review  incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key: replacement role "from-builder" added in account 123456789012, a new access path: arn:aws:iam::210987654321:role/builder may assume it and get the inline policy read-input\n' +
        'review  incidents/2026-11-28-laptop.yaml: incident 2026-11-28-laptop: replacement role "ci-deployer-oidc" changed in account 123456789012, a new access path: GitHub\'s jobs of example/app in the environment prod may assume it and get arn:aws:iam::aws:policy/AdministratorAccess\n' +
        'review  incidents/2026-11-28-ticket.yaml: incident 2026-11-28-ticket: replacement role "ec2-app" added in account 123456789012, a new access path: the service ec2.amazonaws.com may assume it and get no policy\n' +
        `guard: no active incident is removed or weakened (2 incidents at ${from}, 3 incidents at ${to})\n`,
    });
    // In GitHub Actions, each is an annotation too; an unchanged role is not listed again.
    const ci = await guard(dir, ["--base", to, "--head", to, "--now", NOW], { GITHUB_ACTIONS: "true" });
    expect(ci.stdout).not.toContain("review");
    const annotated = await guard(dir, ["--base", from, "--head", to, "--now", NOW], { GITHUB_ACTIONS: "true" });
    expect(annotated.stderr.split("\n").filter((line) => line.startsWith("::warning"))).toHaveLength(3);
  });

  it("without --head, the working tree is the head", async () => {
    const dir = newRepo();
    commitIncidents(dir, byPath(ciKey()), "base");
    rmSync(join(dir, "incidents", "2026-11-28-ci-key.yaml"));
    const removed = await guard(dir, ["--base", "main", "--now", NOW]);
    expect(removed.code).toBe(1);
    expect(removed.stderr).toBe(`error ${CI}: removing it re-enables sessions minted before the cutoff\n${refusal(1)}`);
    writeFileSync(join(dir, "incidents", "2026-11-28-ci-key.yaml"), stringify(ciKey()));
    expect((await guard(dir, ["--base", "main", "--now", NOW])).code).toBe(0);
  });
});

describe("an incident id that names a property of every object", () => {
  it('"constructor" at containment, without a recorded instant, may not get an explicit cutoff', async () => {
    const constructor = (): Raw => ({ ...ticket(), id: "constructor" });
    const result = await guardChange(
      [constructor()],
      [edit(constructor(), (i) => (i.cutoff = "2026-11-28T09:00:00Z"))],
    );
    expect(result.code).toBe(1);
    expect(result.stderr.split("\n")[0]).toBe(
      "error incidents/constructor.yaml: incident constructor is active until an unknown instant (cutoff at-containment, no recorded instant: pass --stack-outputs FILE): replacing cutoff at-containment (no recorded instant: pass --stack-outputs FILE) by 2026-11-28T09:00:00Z may re-enable sessions minted between 2026-11-28T09:00:00Z and the containment",
    );
  });
});

describe("a principal respelled", () => {
  it("fails while the incident is active: IAM ignores case, and a run that cannot read the state names the deny as the files spell it", async () => {
    const result = await guardChange(
      [ciKey()],
      [edit(ciKey(), (i) => (i.roles = [{ name: "Deploy" }, { name: "analytics" }]))],
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error ${CI}: respelling role "deploy" as "Deploy": IAM takes both to be the same role, whose deny keeps the spelling its stack's state has; a pulumi up that cannot read that state declares the deny as the files spell it, and then fails, deleting nothing, until the state's second name for it is forgotten by hand\n${refusal(1)}`,
    );
  });
});

describe("the head as `pulumi up` reads it", () => {
  it("a symlink is no incident file: the folder reader skips it, so guard must not read its target text as one", async () => {
    const dir = newRepo();
    const from = commitIncidents(dir, byPath(ciKey()), "base");
    // A symlink's blob is its target; a target may be any text, here the incident itself.
    git(dir, "rm", "-q", "incidents/2026-11-28-ci-key.yaml");
    const link = execFileSync("git", ["hash-object", "-w", "--stdin"], {
      cwd: dir,
      input: stringify(ciKey()),
      encoding: "utf8",
    }).trim();
    git(dir, "update-index", "--add", "--cacheinfo", `120000,${link},incidents/2026-11-28-ci-key.yaml`);
    git(dir, "commit", "-q", "-m", "symlink");
    const result = await guard(dir, ["--base", from, "--head", "HEAD", "--now", NOW]);
    expect(result.code).toBe(1);
    // Both: the incident is gone as pulumi up reads the folder, and a link is no incident file.
    expect(result.stderr).toBe(
      "error incidents/2026-11-28-ci-key.yaml: a symbolic link (git mode 120000), not a regular file, where only regular incident files may be: CODEOWNERS gives it the incident files' owners, yet it is code (commit the file itself)\n" +
        "guard: 1 path among the incident files is not a regular file (--allow-early-removal does not apply)\n" +
        `error ${CI}: removing it re-enables sessions minted before the cutoff\n${refusal(1)}`,
    );
  });
});

describe("the emergency override", () => {
  it("--allow-early-removal lets an active removal through, loudly, naming what is weakened", async () => {
    const result = await guardChange([ciKey(), laptop()], [laptop()], ["--allow-early-removal"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      "!!! EARLY REMOVAL ALLOWED (--allow-early-removal) !!!\n" +
        `weakened ${CI}: removing it re-enables sessions minted before the cutoff\n` +
        "!!! EARLY REMOVAL ALLOWED (--allow-early-removal) !!!\n" +
        "these incidents lose protection before they expire: record who approved it and why, in the pull request\n",
    );
  });

  it("in GitHub Actions, the override and the refusal also become annotations", async () => {
    const dir = newRepo();
    const from = commitIncidents(dir, byPath(ciKey()), "base");
    const to = commitIncidents(dir, {}, "head");
    const io = memoryIo({ cwd: dir, env: { GITHUB_ACTIONS: "true" } });
    expect(await main(["guard", "--base", from, "--head", to, "--now", NOW, "--allow-early-removal"], io)).toBe(0);
    expect(io.stderr).toContain(
      `::warning title=cordon guard: early removal allowed::${CI}: removing it re-enables sessions minted before the cutoff\n`,
    );
    const refusedIo = memoryIo({ cwd: dir, env: { GITHUB_ACTIONS: "true" } });
    expect(await main(["guard", "--base", from, "--head", to, "--now", NOW], refusedIo)).toBe(1);
    expect(refusedIo.stderr).toContain(
      `::error title=cordon guard::${CI}: removing it re-enables sessions minted before the cutoff\n`,
    );
  });
});

describe("what guard cannot judge", () => {
  it("an invalid head file fails with its diagnostics: a change that cannot be read cannot be proven safe", async () => {
    const dir = newRepo();
    const from = commitIncidents(dir, byPath(ciKey()), "base");
    const to = commitIncidents(dir, byPath(edit(ciKey(), (i) => (i.user = i.users))), "head");
    const result = await guard(dir, ["--base", from, "--head", to, "--now", NOW]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'incidents/2026-11-28-ci-key.yaml:13:1 E_UNKNOWN_FIELD unknown field "user", expected one of id, title, account, cutoff, mode, holdUntil, users, roles, organization, identityCenterUsers, rootUsers, replacementRoles, ticket, owner (did you mean "users"?)\n' +
        "1 error in 1 file: nothing is planned while any incident file is invalid\n" +
        "cordon guard: fix the incident files above: a change that cannot be read cannot be proven safe\n",
    );
  });

  it.each([
    {
      what: "an unknown revision",
      args: ["--base", "no-such-branch"],
      message:
        'cordon guard: git: "no-such-branch" is not a commit in this repository (fetch it first: in CI, check out with fetch-depth: 0)\n',
    },
    {
      what: "a revision that looks like an option",
      args: ["--base=--output=/tmp/x"],
      message:
        'cordon guard: git: "--output=/tmp/x" is not a commit in this repository (fetch it first: in CI, check out with fetch-depth: 0)\n',
    },
  ])("$what exits 2", async ({ args, message }) => {
    const dir = newRepo();
    commitIncidents(dir, byPath(ciKey()), "base");
    const result = await guard(dir, [...args, "--now", NOW]);
    expect(result).toEqual({ code: 2, stdout: "", stderr: message });
  });

  it("outside a git repository exits 2", async () => {
    const dir = newFolder("cordon-not-a-repo-");
    const result = await guard(dir, ["--base", "main", "--now", NOW]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "cordon guard: git: fatal: not a git repository (or any of the parent directories): .git\n",
    );
  });

  it("without --base it is a usage error", async () => {
    const result = await guard(newRepo(), ["--now", NOW]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      usageOutput("cordon guard: --base REV is required: the revision the change starts from, such as origin/main"),
    );
  });
});

describe("output conventions", () => {
  it.each([
    { what: "a terminal without NO_COLOR gets colour", env: { NO_COLOR: undefined }, tty: true, coloured: true },
    { what: "NO_COLOR turns it off", env: { NO_COLOR: "1" }, tty: true, coloured: false },
    { what: "a pipe never gets colour", env: { NO_COLOR: undefined }, tty: false, coloured: false },
  ])("$what", async ({ env, tty, coloured }) => {
    const dir = newRepo();
    const from = commitIncidents(dir, byPath(ciKey()), "base");
    const to = commitIncidents(dir, {}, "head");
    const io = { ...memoryIo({ cwd: dir, env }), errIsTTY: tty };
    io.err = (text: string) => {
      io.stderr += text;
    };
    expect(await main(["guard", "--base", from, "--head", to, "--now", NOW], io)).toBe(1);
    expect(io.stderr.includes("\u001b[31merror\u001b[0m")).toBe(coloured);
    expect(io.stderr).toContain("removing it re-enables sessions minted before the cutoff");
  });

  it.each(["new", "status", "guard"])("%s --help prints its usage on stdout and exits 0", async (command) => {
    const io = memoryIo();
    expect(await main([command, "--help"], io)).toBe(0);
    expect(io.stdout.startsWith(`usage: npx cordon ${command} `)).toBe(true);
    expect(io.stdout).toMatch(/\nexit: 0 /);
    expect(io.stderr).toBe("");
  });
});

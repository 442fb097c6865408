/**
 * `cordon new` repeats what the folder's incidents keep for a user. The plan keeps a credential only
 * when every incident naming its user keeps it (plan/credentials.ts), so a new incident without that
 * `keep:` would disable what a reviewer kept and delete a console password for good; guard refuses
 * such a contain, which then lands nothing. Over generated folders: the folder with the new file
 * keeps exactly what it kept before, but the keys the new incident declares exposed; and the
 * change is additive to `guard --additive`, as the contain workflow runs them (new, then guard on
 * the commit).
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { KEPT_CREDENTIAL_FIELDS, principalKey } from "../incident/fields.ts";
import { loadIncidents } from "../incident/load.ts";
import { draftIncident, spellingsOf } from "../incident/new-draft.ts";
import { newRequest } from "../incident/new-request.ts";
import { incidentTemplate } from "../incident/template.ts";
import { NOTHING_KEPT, type KeptCredentials, type SourceFile } from "../incident/types.ts";
import { keepsToRepeat, keptByUser } from "../plan/credentials.ts";
import { commitTree, git, newRepo, type Raw, removeRepos, runGuard } from "./support/git-repo.ts";

afterAll(removeRepos);

const NOW = new Date("2026-11-28T12:00:00Z");
const ACCOUNT = "123456789012";
/** Each user's own access keys (an access key belongs to one user), and SSH keys anyone may keep. */
const USERS: Record<string, string[]> = {
  "ops-kept": ["AKIAOPS0000000000001", "AKIAOPS0000000000002", "AKIAOPS0000000000003"],
  "ci-deployer": ["AKIACID0000000000001", "AKIACID0000000000002"],
  "svc-backup": ["AKIASVC0000000000001"],
};
const SSH_KEYS = ["APKAEIBAERJR2EXAMPLE", "APKAEIBAERJR3EXAMPLE"];
const NAMES = Object.keys(USERS);

/** One user of an incident: the keys it lists as exposed, and what it keeps (none of those: the loader refuses it). */
const userEntry = (name: string) =>
  fc.subarray(USERS[name]).chain((exposed) =>
    fc.record({
      name: fc.constant(name),
      accessKeys: fc.constant(exposed),
      keep: fc.option(
        fc.record({
          consolePassword: fc.boolean(),
          accessKeys: fc.subarray(USERS[name].filter((id) => !exposed.includes(id))),
          sshPublicKeys: fc.subarray(SSH_KEYS),
        }),
        { nil: undefined },
      ),
    }),
  );

/** A folder of 1 to 4 incidents, each naming some of the users. */
const folder = fc
  .array(
    fc.subarray(NAMES, { minLength: 1 }).chain((names) => fc.tuple(...names.map(userEntry))),
    { minLength: 1, maxLength: 4 },
  )
  .map((incidents) =>
    incidents.map(
      (users, i): Raw => ({
        id: `2026-11-2${i}-base-${i}`,
        title: `base ${i}`,
        account: ACCOUNT,
        cutoff: `2026-11-2${i}T10:00:00Z`,
        users: users.map(({ keep, ...user }) => (keep === undefined ? user : { ...user, keep })),
      }),
    ),
  );

/** The new incident's user, and the keys of it that leaked (at least one). */
const leak = fc
  .constantFrom(...NAMES)
  .chain((user) => fc.record({ user: fc.constant(user), keys: fc.subarray(USERS[user], { minLength: 1 }) }));

const fileOf = (incident: Raw): SourceFile => ({ path: `incidents/${incident.id}.yaml`, text: stringify(incident) });

/** Sorted, for comparing what is kept as sets. */
function sortedKeep(kept: KeptCredentials): KeptCredentials {
  const out = { ...kept };
  for (const field of KEPT_CREDENTIAL_FIELDS) out[field] = [...kept[field]].sort();
  return out;
}

/** What the plan keeps for each user of these incidents. */
function keepsOf(incidents: Parameters<typeof keptByUser>[0]): Map<string, KeptCredentials> {
  return new Map([...keptByUser(incidents)].map(([key, user]) => [key, sortedKeep(user.keep)]));
}

describe("cordon new repeats what the folder's incidents keep", () => {
  it("the folder with the new incident keeps what it kept, but the keys the new incident declares exposed (generated)", () => {
    fc.assert(
      fc.property(folder, leak, (raws, { user, keys }) => {
        const files = raws.map(fileOf);
        const base = loadIncidents(files, { now: NOW });
        expect(base.errors).toEqual([]);
        const request = newRequest({ title: "leak", user: [user], "access-key": keys, account: ACCOUNT }, NOW);
        if ("usage" in request) throw new Error(request.usage);
        const { incident } = draftIncident(request, {
          account: ACCOUNT,
          owners: new Map(),
          lookedUp: { from: "none" },
          spelled: spellingsOf(files, NOW),
          schemaPath: "../schema/incident.schema.json",
          now: NOW,
          kept: keepsToRepeat(base.incidents),
        });
        const written = { path: `incidents/${request.id}.yaml`, text: incidentTemplate(incident) };
        const after = loadIncidents([...files, written], { now: NOW });
        expect(after.errors).toEqual([]);

        const before = keepsOf(base.incidents);
        const expected = new Map(before);
        const key = principalKey(ACCOUNT, "user", user);
        const was = before.get(key) ?? sortedKeep(NOTHING_KEPT);
        expected.set(key, { ...was, accessKeys: was.accessKeys.filter((id) => !keys.includes(id)) });
        expect(keepsOf(after.incidents)).toEqual(expected);
      }),
    );
  });

  it("guard --additive accepts the commit that adds it, as the contain workflow runs them (generated)", async () => {
    const repo = newRepo();
    await fc.assert(
      fc.asyncProperty(folder, leak, async (raws, { user, keys }) => {
        const tree = Object.fromEntries(raws.map((incident) => [`incidents/${incident.id}.yaml`, incident]));
        const base = commitTree(repo, { "Pulumi.yaml": "name: cordon\nruntime: nodejs\n", ...tree }, "base");
        const argv = ["new", "--title", "leak", "--user", user, "--account", ACCOUNT, "--now", NOW.toISOString()];
        const io = memoryIo({ cwd: repo, env: {} });
        const code = await main([...argv, ...keys.flatMap((k) => ["--access-key", k])], io);
        expect(code, io.stderr).toBe(0);
        git(repo, "add", "-A");
        git(repo, "commit", "-q", "-m", "contain");
        const judged = await runGuard(repo, [
          "--base",
          base,
          "--head",
          "HEAD",
          "--now",
          NOW.toISOString(),
          "--additive",
        ]);
        expect(judged.code, judged.stdout + judged.stderr).toBe(0);
      }),
      { numRuns: 15 },
    );
  });
});

/**
 * Issue 20, items 1, 2 and 6, in guard's pure core: a credential kept (an id added to a user's
 * `keep:`, or its console password kept) is a weakening of an active incident, and never additive;
 * a root user is a principal like any other; deactivating MFA devices and deleting root access
 * keys, which cordon cannot undo, always need a reviewer. The whole command runs on git elsewhere
 * (test/guard.test.ts, test/guard-additive.test.ts); here only the judgement.
 */
import { REGULAR_FILE_MODE } from "../guard/protected-paths.ts";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { classifyChange, guardChange, type ClassifyInput } from "../guard/guard.ts";
import { loadIncidents } from "../incident/load.ts";
import type { Incident } from "../incident/types.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
type Raw = Record<string, unknown>;

const base = (more: Raw = {}): Raw => ({
  id: "2026-11-28-ci-key",
  title: "CI key in a public repository",
  account: "123456789012",
  cutoff: "2026-11-28T10:00:00Z",
  users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
  ...more,
});

function load(raw: Raw): Incident {
  const result = loadIncidents([{ path: `incidents/${raw.id}.yaml`, text: stringify(raw) }], { now: NOW });
  expect(result.errors).toEqual([]);
  return result.incidents[0];
}

function judge(before: Raw | undefined, after: Raw) {
  const b = before === undefined ? [] : [load(before)];
  const a = [load(after)];
  const { violations } = guardChange(b, a, NOW);
  const input: ClassifyInput = {
    base: b,
    head: a,
    now: new Date("2026-11-28T12:00:00Z"),
    containment: {},
    protectedPrincipals: [],
    violations,
    changes: [{ path: "incidents/2026-11-28-ci-key.yaml", before: REGULAR_FILE_MODE, after: REGULAR_FILE_MODE }],
    incidentsDir: "incidents",
    unreadable: [],
  };
  return { violations: violations.map((v) => `${v.kind}: ${v.message}`), reasons: classifyChange(input) };
}

const withUser = (user: Raw): Raw =>
  base({ users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"], ...user }] });
const ACTIVE =
  "incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key is active until 2026-11-29T22:00:00Z (34 h left)";

describe("a kept credential added to an active incident is a weakening, never additive", () => {
  it.each([
    [
      "an access key",
      { keep: { accessKeys: ["AKIAI44QH8DHBEXAMPLE"] } },
      'keeping access key AKIAI44QH8DHBEXAMPLE of user "ci-deployer" stops setting it Inactive: it would work again',
    ],
    [
      "an SSH public key",
      { keep: { sshPublicKeys: ["APKAEIBAERJR2EXAMPLE"] } },
      'keeping SSH public key APKAEIBAERJR2EXAMPLE of user "ci-deployer" stops setting it Inactive: it would work again',
    ],
    [
      "a service-specific credential",
      { keep: { serviceSpecificCredentials: ["ACCAEXAMPLE123EXAMPLE"] } },
      'keeping service-specific credential ACCAEXAMPLE123EXAMPLE of user "ci-deployer" stops setting it Inactive: it would work again',
    ],
    [
      "a signing certificate",
      { keep: { signingCertificates: ["ID123456789012345EXAMPLE"] } },
      'keeping signing certificate ID123456789012345EXAMPLE of user "ci-deployer" stops setting it Inactive: it would work again',
    ],
    [
      "the console password",
      { keep: { consolePassword: true } },
      'keeping the console password of user "ci-deployer" stops deleting it: a password the attacker set would work again',
    ],
  ])("%s", (_, user, what) => {
    const { violations, reasons } = judge(base(), withUser(user));
    expect(violations).toEqual([`credential-kept: ${ACTIVE}: ${what}`]);
    expect(reasons).toEqual([`incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key: ${what}`]);
  });

  it("keeping less is a strengthening, yet not additive: a reviewer kept it, and a deleted password cannot come back", () => {
    const { violations, reasons } = judge(
      withUser({ keep: { accessKeys: ["AKIAI44QH8DHBEXAMPLE"], consolePassword: true } }),
      withUser({ keep: { consolePassword: false } }),
    );
    expect(violations).toEqual([]);
    const keptAt =
      "kept at the base by incident 2026-11-28-ci-key (incidents/2026-11-28-ci-key.yaml): a credential is kept only when every incident naming its user keeps it";
    expect(reasons).toEqual([
      `incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key: names user "ci-deployer" without keeping access key AKIAI44QH8DHBEXAMPLE, ${keptAt}, so it would be set Inactive; a pull request and a reviewer decide that`,
      `incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key: names user "ci-deployer" without keeping its console password, ${keptAt}, so the password would be deleted, which cannot be undone; a pull request and a reviewer decide that`,
    ]);
  });

  it("the same keep, written in another order, changes nothing", () => {
    const keep = { sshPublicKeys: ["APKAEIBAERJR2EXAMPLE", "APKAAAAAAAAAAAAAAAAA"] };
    const { violations, reasons } = judge(
      withUser({ keep }),
      withUser({ keep: { sshPublicKeys: [...keep.sshPublicKeys].reverse() } }),
    );
    expect([violations, reasons]).toEqual([[], []]);
  });

  it("an expired incident may keep more: a note, no violation, but still not additive", () => {
    const { violations, reasons } = judge(
      base({ cutoff: "2026-11-26T10:00:00Z" }),
      base({
        cutoff: "2026-11-26T10:00:00Z",
        users: [{ name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"], keep: { consolePassword: true } }],
      }),
    );
    expect(violations).toEqual([]);
    expect(reasons).toHaveLength(1);
  });

  it("a new incident, or a new user, that keeps anything is not additive", () => {
    expect(judge(undefined, withUser({ keep: { accessKeys: ["AKIAI44QH8DHBEXAMPLE"] } })).reasons).toEqual([
      'incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key added with credentials user "ci-deployer" keeps: what keeps working is a reviewer\'s to approve',
    ]);
    expect(judge(undefined, withUser({ keep: { consolePassword: false } })).reasons).toEqual([]);
    const added = base({
      users: [
        { name: "ci-deployer", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] },
        { name: "svc-backup", keep: { consolePassword: true } },
      ],
    });
    expect(judge(base(), added)).toEqual({
      violations: [],
      reasons: [
        'incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key: user "svc-backup" added with credentials it keeps: what keeps working is a reviewer\'s to approve',
      ],
    });
  });
});

describe("root users, MFA devices", () => {
  const root = (more: Raw = {}) =>
    base({ organization: { scp: true }, rootUsers: [{ account: "444455556666", ...more }] });

  it("a root user is a principal: removing it from an active incident weakens it; adding one is additive", () => {
    expect(judge(root(), base({ organization: { scp: true } })).violations).toEqual([
      `principal-removed: ${ACTIVE}: removing the root user of account 444455556666 lifts the organization's SCP deny on every action of it`,
    ]);
    expect(judge(base(), root())).toEqual({ violations: [], reasons: [] });
  });

  it("deleting root access keys cannot be undone: never additive", () => {
    expect(judge(root(), root({ deleteAccessKeys: true })).reasons).toEqual([
      "incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key: deleting the root access keys of account 444455556666: it cannot be undone, which a reviewer must approve",
    ]);
    expect(judge(undefined, root({ deleteAccessKeys: true })).reasons).toEqual([
      "incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key added deleting the root access keys of account 444455556666: it cannot be undone, which a reviewer must approve",
    ]);
  });

  it("MFA devices to deactivate need a reviewer, and are no weakening when removed", () => {
    const device = withUser({ deactivateMfaDevices: ["arn:aws:iam::123456789012:mfa/attacker"] });
    const expected = {
      violations: [],
      reasons: [
        "incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key: MFA devices to deactivate changed: deactivating a device cannot be undone by cordon, which a reviewer must approve",
      ],
    };
    expect(judge(base(), device)).toEqual(expected);
    expect(judge(device, base())).toEqual(expected);
    // In a new incident too: --additive must not let a pull request deactivate anyone's device unreviewed.
    expect(judge(undefined, device)).toEqual({
      violations: [],
      reasons: [
        'incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key added deactivating MFA devices of user "ci-deployer": cordon cannot undo that, which a reviewer must approve',
      ],
    });
  });

  it("an incident's account changed, its principals pinned where they were: never additive (its replacement roles would be made in the new account)", () => {
    const pinned = (account: string) =>
      base({
        account,
        users: [{ name: "ci-deployer", account: "123456789012", accessKeys: ["AKIAIOSFODNN7EXAMPLE"] }],
        roles: [{ name: "deploy", account: "123456789012" }],
      });
    expect(judge(pinned("123456789012"), pinned("210987654321"))).toEqual({
      violations: [],
      reasons: [
        "incidents/2026-11-28-ci-key.yaml: incident 2026-11-28-ci-key: account changed from 123456789012 to 210987654321: not containment",
      ],
    });
  });
});

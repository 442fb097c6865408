import { displaySafe, displayValue, jsonSafe } from "../incident/display.ts";
import { ACCESS_KEY_ID, exposedKeyFlagProblem, iamNameFlagCheck, pastedKeyId } from "../incident/fields.ts";
import { assess, type Assessment } from "../assess/assessment.ts";
import type { RoleChain } from "../assess/assumable.ts";
import { REASONS_THE_CAPABILITIES_SAY } from "../assess/risk.ts";
import { KIND_NOUN, type UserCredentialPlan } from "../plan/credentials.ts";
import { awsClients } from "../aws/clients.ts";
import { failureOf } from "../aws/errors.ts";
import { callerAccount, readUserFacts, userOfAccessKey } from "../aws/iam.ts";
import { booleanFlags, parseFlags, stringFlags, type Command } from "../cli/command.ts";
import { EXIT_OK, UsageError } from "../cli/io.ts";

export const assessCommand: Command = {
  name: "assess",
  usage: `usage: npx cordon assess (--access-key ID | --user NAME) [--json]

Step 1 of the response: what the key's user can reach, read from IAM with the credentials in use
(read-only; \`cordon permissions\` prints the policy it needs). The user and its groups, their
attached and inline policies, the permissions boundary, the access keys with status and last use,
console password and MFA, every other credential (service-specific credentials, SSH public keys,
signing certificates) and what a new incident would make of each, whether AWS quarantined the key
(AWSCompromisedKeyQuarantine*), the roles it can assume, directly or through other roles (name
them in the incident too), what it can do: administrator-equivalent, IAM write, data read and
write, compute, role passing, destruction, any action not known to be read-only, and so what to
do first. And the room left on the user for cordon's deny policy.

options:
  --access-key ID  the exposed key (AKIA...); its user is looked up
  --user NAME      the IAM user to assess
  --json           {"user", "groups", "attachedPolicies", "inlinePolicies", "accessKeys":
                   [{"accessKeyId", "status", "lastUsed"}], "quarantined", "assumableRoles",
                   "assumableRoleChains", "mayAssumeRoles",
                   "risk": {"admin", "iamWrite", "dataRead", "dataWrite", "compute",
                   "passRole", "destroy", "beyondReadOnly", ...}, "containmentOrder",
                   "room", ...} (docs/assess-verify.md)
  -h, --help       this text

exit: 0 assessed, 1 no such key or user, 2 usage error or AWS could not be asked`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, { ...stringFlags("access-key", "user"), ...booleanFlags("json") });
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument "${positionals[0]}": assess takes --access-key ID or --user NAME`);
    const key = values["access-key"] === undefined ? undefined : pastedKeyId(values["access-key"]);
    if ((key === undefined) === (values.user === undefined))
      throw new UsageError("give exactly one of --access-key ID or --user NAME");
    if (key !== undefined && !ACCESS_KEY_ID.test(key)) throw new UsageError(exposedKeyFlagProblem(key));
    const userProblem = values.user === undefined ? undefined : iamNameFlagCheck("user", values.user);
    if (userProblem !== undefined) throw new UsageError(userProblem);

    try {
      const clients = awsClients(io.env);
      const account = await callerAccount(clients);
      const userName = key !== undefined ? await userOfAccessKey(clients, key, account) : (values.user as string);
      const assessment = assess(await readUserFacts(clients, userName, account, key ?? null));
      // Names and policies come from IAM: shown escaped.
      io.out(
        values.json ? `${jsonSafe(JSON.stringify(assessment, null, 2))}\n` : displaySafe(renderAssessment(assessment)),
      );
      return EXIT_OK;
    } catch (error) {
      const failure = failureOf(error);
      io.err(`cordon assess: ${displayValue(failure.message)}\n`);
      return failure.exit;
    }
  },
};

/** The readable assessment: what a responder reads at 02:14 (docs/lifecycle.md, the night of an incident). */
export function renderAssessment(a: Assessment): string {
  const lines: string[] = [];
  const groups = a.groups.length > 0 ? `groups: ${a.groups.join(", ")}` : "no groups";
  lines.push(`user ${a.user} (${groups}) · account ${a.account}`);

  const keys = a.accessKeys.map((k) => {
    const used = k.lastUsed
      ? `last used ${k.lastUsed}${k.lastUsedService || k.lastUsedRegion ? ` (${[k.lastUsedService, k.lastUsedRegion].filter(Boolean).join(", ")})` : ""}`
      : "never used";
    return `${k.accessKeyId} ${k.status}, ${used}${k.exposed ? " ← exposed" : ""}`;
  });
  lines.push(`${plural(a.accessKeys.length, "access key")}${keys.length > 0 ? `: ${keys.join(" · ")}` : ""}`);

  lines.push(
    [
      a.quarantined ? `quarantined by AWS (${a.quarantinePolicies.join(", ")})` : "not quarantined by AWS",
      a.consolePassword ? "console password" : "no console password",
      a.mfaDevices.length > 0 ? `MFA (${plural(a.mfaDevices.length, "device")})` : "no MFA",
      a.permissionsBoundary ? `permissions boundary ${a.permissionsBoundary}` : "no permissions boundary",
    ].join(" · "),
  );

  if (a.credentials !== null) lines.push(`in a new incident (nothing kept): ${credentialFates(a.credentials)}`);

  const policies = a.policies.map(
    (p) =>
      `${p.type === "inline" ? `inline ${p.name}` : p.name}${p.through.type === "group" ? ` (group ${p.through.name})` : ""}`,
  );
  lines.push(`policies: ${policies.length > 0 ? policies.join(", ") : "none"}`);

  // For contain-first the capabilities often are the reason; when they are not (the roles it can
  // assume, listed below; the actions that made it so), the reason is said. Replace-first needs
  // its condition said.
  const order =
    a.containmentOrder.order === "replace-first"
      ? `replace first, then contain: ${a.containmentOrder.reason}`
      : REASONS_THE_CAPABILITIES_SAY.includes(a.containmentOrder.reason)
        ? "contain first, restore later"
        : `contain first, restore later: ${a.containmentOrder.reason}`;
  lines.push(`can: ${capabilities(a)} → ${order}`);

  const chains = new Map(a.assumableRoleChains.map((c) => [c.role, c.via]));
  const assume =
    a.assumableRoles.length > 0
      ? a.assumableRoles.map((arn) => (chains.has(arn) ? `${arn} (via ${chainText(chains.get(arn))})` : arn)).join(", ")
      : "no role of this account";
  const elsewhere =
    a.assumableRolesInOtherAccounts.length > 0
      ? ` · in other accounts, roles matching ${a.assumableRolesInOtherAccounts.join(", ")} that trust this account`
      : "";
  lines.push(`can assume: ${assume}${elsewhere}`);
  if (a.mayAssumeRoles.length > 0) lines.push(mayAssumeLine(a.mayAssumeRoles));

  const { room } = a;
  lines.push(
    `room for cordon's policy: ${room.managedAttachmentsLeft} of ${room.managedAttachmentsQuota} managed policy attachments left (${room.managedAttachmentsQuota} is the default quota; it can be raised) · ${thousands(room.inlineCharactersLeft)} of ${thousands(room.inlineCharactersQuota)} inline policy characters left`,
  );
  if (room.managedAttachmentsLeft === 0) {
    lines.push(
      "no managed policy attachment left: `pulumi up` puts cordon's deny policy inline instead when it fits in the inline characters left, else leaves it out and fails; detach one, or raise the quota in Service Quotas",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** How many roles the "may also assume" line names before it counts the rest: `--json` lists them all. */
const MAY_ASSUME_SHOWN = 5;

/**
 * The roles that trust the account, reachable if a reached role's own policies allow it: one line,
 * a few names and a count, since in an account where every role trusts the account root they are
 * all of them.
 */
function mayAssumeLine(roles: RoleChain[]): string {
  const deciding = [...new Set(roles.map((r) => r.via.at(-1) as string))].sort().map(shortRole);
  const shown = roles.slice(0, MAY_ASSUME_SHOWN).map((r) => r.role);
  const more = roles.length - shown.length;
  return `may also assume, if the policies of ${deciding.join(" or ")} allow sts:AssumeRole (assess does not read a role's policies): ${shown.join(", ")}${more > 0 ? ` and ${more} more (--json lists them)` : ""}`;
}

/** `role/hop → role/ops/next`: the roles of a chain, in the order they are assumed. */
function chainText(via: string[] | undefined): string {
  return (via ?? []).map(shortRole).join(" → ");
}

/** `arn:aws:iam::123456789012:role/ops/hop` → `role/ops/hop`: in a chain, every role is of the account. */
function shortRole(arn: string): string {
  return arn.split(":").slice(5).join(":");
}

/** Each credential of the user and what a new incident would make of it, on one line. */
function credentialFates(credentials: UserCredentialPlan): string {
  const parts = credentials.credentials.map((c) => {
    const what = `${c.id} ${KIND_NOUN[c.kind]}${c.exposed ? " (exposed)" : ""}`;
    return c.fate === "disable"
      ? `${what} → Inactive`
      : c.fate === "already-inactive"
        ? `${what} Inactive, kept so`
        : c.fate === "expired"
          ? `${what} expired`
          : `${what} ${c.fate}`;
  });
  if (credentials.consolePassword.fate === "delete")
    parts.push("console password → deleted (cannot be undone; keep: consolePassword: true keeps it)");
  for (const device of credentials.mfaDevices)
    parts.push(`MFA device ${device.serial} left as it is (deactivateMfaDevices to deactivate it)`);
  return parts.length === 0 ? "no credential" : parts.join(" · ");
}

function capabilities(a: Assessment): string {
  const via = (labels: string[]) => (labels.length > 0 ? ` through ${labels.join(", ")}` : "");
  if (a.risk.admin) return `administrator-equivalent${via(a.risk.via.admin)}`;
  const parts: string[] = [];
  if (a.risk.iamWrite) parts.push(`write IAM${via(a.risk.via.iamWrite)}`);
  if (a.risk.dataWrite) parts.push(`write data${via(a.risk.via.dataWrite)}`);
  if (a.risk.secretsRead) parts.push(`read secrets${via(a.risk.via.secretsRead)}`);
  if (a.risk.actions.dataRead.some((action) => !a.risk.actions.secretsRead.includes(action)))
    parts.push(`read data${via(a.risk.via.dataRead)}`);
  if (a.risk.compute) parts.push(`run code or launch compute${via(a.risk.via.compute)}`);
  if (a.risk.passRole) parts.push(`pass roles${via(a.risk.via.passRole)}`);
  if (a.risk.destroy) parts.push(`destroy resources${via(a.risk.via.destroy)}`);
  if (parts.length > 0) return parts.join(" · ");
  return a.risk.beyondReadOnly.length > 0
    ? "actions beyond reading (none that assess samples)"
    : "read-only actions only";
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function thousands(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * Thin readers: what `assess` and `verify` ask IAM and STS, with no decisions in them. Each call
 * goes through `send`, so its action is the one declared below (`assessPermissions`,
 * `verifyPermissions`) for the policy that `permissions` prints.
 */
import {
  GetAccessKeyLastUsedCommand,
  GetGroupPolicyCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  SimulatePrincipalPolicyCommand,
  type AccessKeyMetadata,
  type EvaluationResult,
} from "@aws-sdk/client-iam";
import { GetAccessKeyInfoCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { AccessKeyFacts, UserFacts } from "../assess/assessment.ts";
import type { SourcedPolicy } from "../assess/risk.ts";
import type { Decision, LiveKey, LivePrincipal } from "../verify/checks.ts";
import type { LiveIam } from "../verify/verify.ts";
import { iamNameKey } from "../incident/fields.ts";
import { formatInstant } from "../incident/time.ts";
import { TOKEN_ISSUE_TIME, type PolicyDocument, type PolicyStatement } from "../plan/policies.ts";
import { allPages, send, type Clients } from "./clients.ts";
import { credentialReadPermissions, listUserCredentials, userReads, type UserReads } from "./credentials.ts";
import { AwsUnavailableError, NotFoundError, orIfMissing } from "./errors.ts";

/** What `assess` calls (`callerAccount`, `userOfAccessKey`, `readUserFacts`, and every credential of the user). Read-only. */
export const assessPermissions: readonly string[] = [
  ...new Set([
    "iam:GetAccessKeyLastUsed",
    "iam:GetGroupPolicy",
    "iam:GetLoginProfile",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetUser",
    "iam:GetUserPolicy",
    "iam:ListAccessKeys",
    "iam:ListAttachedGroupPolicies",
    "iam:ListAttachedUserPolicies",
    "iam:ListGroupPolicies",
    "iam:ListGroupsForUser",
    "iam:ListMFADevices",
    "iam:ListRoles",
    "iam:ListUserPolicies",
    "sts:GetAccessKeyInfo",
    "sts:GetCallerIdentity",
    ...credentialReadPermissions,
  ]),
].sort();

/** What `verify` calls (`callerAccount`, `readLiveUser`, `readLiveRole`, `readLiveKeys`, `simulate`, every credential of a user). Read-only. */
export const verifyPermissions: readonly string[] = [
  ...new Set([
    "iam:GetAccessKeyLastUsed",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:GetUser",
    "iam:GetUserPolicy",
    "iam:ListAccessKeys",
    "iam:ListAttachedRolePolicies",
    "iam:ListAttachedUserPolicies",
    "iam:SimulatePrincipalPolicy",
    "sts:GetCallerIdentity",
    ...credentialReadPermissions,
  ]),
].sort();

/**
 * A policy document as IAM returns it. IAM's API returns documents URL-encoded (RFC 3986), while
 * some emulators and the console return plain JSON: an encoded document never starts with `{`.
 * A single statement without a list becomes a list of one. Throws when the text is not a policy
 * document.
 */
export function parsePolicyText(text: string): PolicyDocument {
  const parsed = JSON.parse(decodePolicyText(text)) as unknown;
  if (typeof parsed !== "object" || parsed === null || !("Statement" in parsed))
    throw new Error("not an IAM policy document: no Statement");
  const document = parsed as { Statement: PolicyStatement | PolicyStatement[] };
  return { ...document, Statement: Array.isArray(document.Statement) ? document.Statement : [document.Statement] };
}

/** The JSON text of a document as IAM returns it (URL-encoded or not). */
export function decodePolicyText(text: string): string {
  return text.trimStart().startsWith("{") ? text : decodeURIComponent(text);
}

/** The account the credentials in use belong to. */
export async function callerAccount(clients: Clients): Promise<string> {
  const identity = await send(clients.sts, new GetCallerIdentityCommand({}));
  return identity.Account ?? "";
}

/**
 * The user behind an access key. The key must belong to the account of the credentials in use:
 * IAM answers only about its own account's keys.
 */
export async function userOfAccessKey(clients: Clients, accessKeyId: string, account: string): Promise<string> {
  const info = await send(clients.sts, new GetAccessKeyInfoCommand({ AccessKeyId: accessKeyId }));
  if (info.Account && info.Account !== account) {
    throw new NotFoundError(
      `access key ${accessKeyId} belongs to account ${info.Account}, but the credentials in use are for account ${account}: run assess with credentials for ${info.Account}`,
    );
  }
  const used = await orIfMissing(
    send(clients.iam, new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })),
    () => {
      throw new NotFoundError(
        `access key ${accessKeyId} not found in account ${account}: check the key id (it may have been deleted)`,
      );
    },
  );
  return used.UserName ?? "";
}

/** Everything `assess` needs about one user, read-only. */
export async function readUserFacts(
  clients: Clients,
  userName: string,
  account: string,
  exposedKey: string | null,
): Promise<UserFacts> {
  const { iam } = clients;
  const reads = userReads(clients);
  const { User: user } = await orIfMissing(reads.user(userName), () => {
    throw new NotFoundError(
      `user "${userName}" not found in account ${account}: check the name (IAM user names, not role names)`,
    );
  });
  const managed = new ManagedPolicies(clients);

  const groups = await allPages(
    (Marker) => send(iam, new ListGroupsForUserCommand({ UserName: userName, Marker })),
    (page) => page.Groups?.map((g) => g.GroupName ?? ""),
  );

  const userAttached = await reads.attachedPolicies(userName);
  const userInlineNames = await allPages(
    (Marker) => send(iam, new ListUserPoliciesCommand({ UserName: userName, Marker })),
    (page) => page.PolicyNames,
  );
  const userInline = await Promise.all(
    userInlineNames.map(async (name) => ({
      name,
      text: decodePolicyText(
        (await send(iam, new GetUserPolicyCommand({ UserName: userName, PolicyName: name }))).PolicyDocument ?? "",
      ),
    })),
  );

  const policies: SourcedPolicy[] = [];
  const through = { type: "user" as const, name: userName };
  for (const attached of userAttached) {
    policies.push({
      source: { type: "managed", name: attached.PolicyName ?? "", arn: attached.PolicyArn, through },
      document: await managed.document(attached.PolicyArn ?? ""),
    });
  }
  for (const inline of userInline)
    policies.push({ source: { type: "inline", name: inline.name, through }, document: parsePolicyText(inline.text) });

  for (const group of groups) {
    const via = { type: "group" as const, name: group };
    const attached = await allPages(
      (Marker) => send(iam, new ListAttachedGroupPoliciesCommand({ GroupName: group, Marker })),
      (page) => page.AttachedPolicies,
    );
    for (const policy of attached) {
      policies.push({
        source: { type: "managed", name: policy.PolicyName ?? "", arn: policy.PolicyArn, through: via },
        document: await managed.document(policy.PolicyArn ?? ""),
      });
    }
    const inlineNames = await allPages(
      (Marker) => send(iam, new ListGroupPoliciesCommand({ GroupName: group, Marker })),
      (page) => page.PolicyNames,
    );
    for (const name of inlineNames) {
      const text =
        (await send(iam, new GetGroupPolicyCommand({ GroupName: group, PolicyName: name }))).PolicyDocument ?? "";
      policies.push({ source: { type: "inline", name, through: via }, document: parsePolicyText(text) });
    }
  }

  const boundaryArn = user?.PermissionsBoundary?.PermissionsBoundaryArn;
  const permissionsBoundary = boundaryArn ? { arn: boundaryArn, document: await managed.document(boundaryArn) } : null;

  const keys = await reads.accessKeys(userName);
  const accessKeys = await Promise.all(
    keys.map(async (key): Promise<AccessKeyFacts> => {
      const used = (await send(iam, new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId })))
        .AccessKeyLastUsed;
      const known = (value: string | undefined) => (value && value !== "N/A" ? value : null);
      return {
        accessKeyId: key.AccessKeyId ?? "",
        status: key.Status ?? "",
        createdAt: key.CreateDate ? formatInstant(key.CreateDate) : null,
        lastUsed: used?.LastUsedDate ? formatInstant(used.LastUsedDate) : null,
        lastUsedService: known(used?.ServiceName),
        lastUsedRegion: known(used?.Region),
      };
    }),
  );

  const consolePassword = await orIfMissing(
    send(iam, new GetLoginProfileCommand({ UserName: userName })).then(() => true),
    () => false,
  );

  const mfaDevices = await allPages(
    (Marker) => send(iam, new ListMFADevicesCommand({ UserName: userName, Marker })),
    (page) => page.MFADevices?.map((d) => d.SerialNumber ?? ""),
  );

  const roles = await allPages(
    (Marker) => send(iam, new ListRolesCommand({ Marker })),
    (page) =>
      page.Roles?.map((r) => ({
        arn: r.Arn ?? "",
        trust: r.AssumeRolePolicyDocument ? parsePolicyText(r.AssumeRolePolicyDocument) : { Statement: [] },
      })),
  );

  const listing = await listUserCredentials(clients, account, userName, reads);

  return {
    account,
    user: { name: user?.UserName ?? userName, arn: user?.Arn ?? `arn:aws:iam::${account}:user/${userName}` },
    groups,
    policies,
    userInlineTexts: userInline.map((p) => p.text),
    permissionsBoundary,
    accessKeys,
    consolePassword,
    mfaDevices,
    roles,
    exposedKey,
    listing,
  };
}

/** Managed policy documents (the default version), each read once however many times it is attached. */
class ManagedPolicies {
  private readonly cache = new Map<string, Promise<PolicyDocument>>();
  private readonly clients: Clients;

  constructor(clients: Clients) {
    this.clients = clients;
  }

  document(arn: string): Promise<PolicyDocument> {
    let cached = this.cache.get(arn);
    if (!cached) {
      cached = readManagedDocument(this.clients, arn);
      this.cache.set(arn, cached);
    }
    return cached;
  }
}

async function readManagedDocument(clients: Clients, arn: string): Promise<PolicyDocument> {
  const text = await readManagedDocumentText(clients, arn);
  if (text === null) throw new NotFoundError(`policy ${arn} not found`);
  return parsePolicyText(text);
}

/** The default version's document of a managed policy; null when the policy does not exist. */
async function readManagedDocumentText(clients: Clients, arn: string): Promise<string | null> {
  const policy = await orIfMissing(send(clients.iam, new GetPolicyCommand({ PolicyArn: arn })), () => null);
  if (policy === null) return null;
  const version = await send(
    clients.iam,
    new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.Policy?.DefaultVersionId }),
  );
  return version.PolicyVersion?.Document ?? null;
}

/** What `verify` reads, over IAM and STS; a user's record, attached policies and access keys once (`UserReads`). */
export function liveIam(clients: Clients): LiveIam {
  const reads = userReads(clients);
  return {
    account: () => callerAccount(clients),
    user: (name, policyName, policyArn) => readLiveUser(clients, name, policyName, policyArn, reads),
    role: (name, policyName, policyArn) => readLiveRole(clients, name, policyName, policyArn),
    keys: (user, accessKeyIds) => readLiveKeys(clients, user, accessKeyIds, reads),
    simulate: (principalArn, actions, tokenIssueTime, context) =>
      simulate(clients, principalArn, actions, tokenIssueTime, context),
    credentials: (account, user) => listUserCredentials(clients, account, user, reads),
  };
}

/**
 * Reads a user's cordon policy: with `policyArn`, the customer managed policy
 * `arn:aws:iam::<account>:policy/cordon/<name>` attached to it; without, the inline user policy
 * `policyName` (a user without a free attachment).
 */
export async function readLiveUser(
  clients: Clients,
  userName: string,
  policyName: string,
  policyArn?: string,
  reads: UserReads = userReads(clients),
): Promise<LivePrincipal> {
  const user = await orIfMissing(reads.user(userName), () => null);
  if (user === null) return { arn: null, policy: { state: "missing" } };
  const arn = user.User?.Arn ?? null;
  if (policyArn !== undefined)
    return readManagedPolicy(clients, arn, policyArn, () => reads.attachedPolicies(userName));
  const inline = await orIfMissing(
    send(clients.iam, new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName })),
    () => null,
  );
  if (inline === null) return { arn, policy: { state: "missing" } };
  return { arn, policy: { state: "attached", document: parsePolicyText(inline.PolicyDocument ?? "") } };
}

/**
 * A principal's cordon managed policy, from the policies attached to it (`listAttached`): missing,
 * detached from the principal, or attached with its document and the ARN IAM lists it under.
 * IAM does not tell names apart by case, and the stack keeps the spelling it first created a deny
 * under (`cordon-revoke-sessions-Alice`, when the files now spell `alice`): the attached policy
 * is matched by name ignoring case, and read at the ARN IAM returns.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-friendly-names
 */
async function readManagedPolicy(
  clients: Clients,
  arn: string | null,
  policyArn: string,
  listAttached: () => Promise<{ PolicyArn?: string }[]>,
): Promise<LivePrincipal> {
  const attached = (await listAttached()).find(
    (p) => p.PolicyArn !== undefined && samePolicyName(p.PolicyArn, policyArn),
  )?.PolicyArn;
  const text = await readManagedDocumentText(clients, attached ?? policyArn);
  if (text === null) return { arn, policy: { state: "missing" } };
  if (attached === undefined) return { arn, policy: { state: "detached" } };
  return { arn, policy: { state: "attached", document: parsePolicyText(text), policyArn: attached } };
}

/** Two managed policy ARNs of the same account and path whose names IAM takes for one (`iamNameKey`). */
function samePolicyName(a: string, b: string): boolean {
  const split = (arn: string) => [arn.slice(0, arn.lastIndexOf("/") + 1), arn.slice(arn.lastIndexOf("/") + 1)];
  const [[pathA, nameA], [pathB, nameB]] = [split(a), split(b)];
  return pathA === pathB && iamNameKey(nameA) === iamNameKey(nameB);
}

/**
 * Reads a role's cordon policy: the inline role policy `policyName`, or with `policyArn` the
 * customer managed policy attached to the role.
 */
export async function readLiveRole(
  clients: Clients,
  roleName: string,
  policyName: string,
  policyArn?: string,
): Promise<LivePrincipal> {
  const { iam } = clients;
  const role = await orIfMissing(send(iam, new GetRoleCommand({ RoleName: roleName })), () => null);
  if (role === null) return { arn: null, policy: { state: "missing" } };
  const arn = role.Role?.Arn ?? null;
  if (policyArn !== undefined) {
    return readManagedPolicy(clients, arn, policyArn, () =>
      allPages(
        (Marker) => send(iam, new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker })),
        (page) => page.AttachedPolicies,
      ),
    );
  }
  const inline = await orIfMissing(
    send(iam, new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
    () => null,
  );
  if (inline === null) return { arn, policy: { state: "missing" } };
  return { arn, policy: { state: "attached", document: parsePolicyText(inline.PolicyDocument ?? "") } };
}

/** The status and last use of the listed keys of one user; for a key it has not, its owner (null: deleted). */
export async function readLiveKeys(
  clients: Clients,
  userName: string,
  accessKeyIds: string[],
  reads: UserReads = userReads(clients),
): Promise<Record<string, LiveKey>> {
  const { iam } = clients;
  const keys = await orIfMissing(reads.accessKeys(userName), (): AccessKeyMetadata[] => []);
  const out: Record<string, LiveKey> = {};
  for (const id of accessKeyIds) {
    const key = keys.find((k) => k.AccessKeyId === id);
    if (!key) {
      // Not the user's: IAM names its owner, or has no such key (deleted). IAM answers AccessDenied
      // for a key of another account as for a caller that may not ask: this key's check fails and
      // says both, and the other principals are still judged.
      const used = await orIfMissing(send(iam, new GetAccessKeyLastUsedCommand({ AccessKeyId: id })), () => null).catch(
        (error: unknown) => {
          if (error instanceof AwsUnavailableError && error.reason === "denied") return "denied" as const;
          throw error;
        },
      );
      // Deleted only on IAM's NoSuchEntity; an answer without an owner is not proof of anything.
      out[id] =
        used === null
          ? { status: null, lastUsed: null, owner: null }
          : used === "denied"
            ? { status: null, lastUsed: null, ownerRefused: true }
            : { status: null, lastUsed: null, ...(used.UserName ? { owner: used.UserName } : {}) };
      continue;
    }
    const used = (await send(iam, new GetAccessKeyLastUsedCommand({ AccessKeyId: id }))).AccessKeyLastUsed
      ?.LastUsedDate;
    out[id] = { status: key.Status ?? null, lastUsed: used ? formatInstant(used) : null };
  }
  return out;
}

/**
 * Asks IAM's policy simulator what the principal's own policies decide for `actions`, for a request
 * signed with temporary credentials issued at `tokenIssueTime`.
 * @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
 */
export async function simulate(
  clients: Clients,
  principalArn: string,
  actions: readonly string[],
  tokenIssueTime: string,
  context: Record<string, string> = {},
): Promise<Record<string, Decision>> {
  const results = await allPages(
    (Marker) =>
      send(
        clients.iam,
        new SimulatePrincipalPolicyCommand({
          PolicySourceArn: principalArn,
          ActionNames: [...actions],
          ContextEntries: [
            { ContextKeyName: TOKEN_ISSUE_TIME, ContextKeyType: "date", ContextKeyValues: [tokenIssueTime] },
            ...Object.entries(context).map(([key, value]) => ({
              ContextKeyName: key,
              ContextKeyType: "string" as const,
              ContextKeyValues: [value],
            })),
          ],
          Marker,
        }),
      ),
    (page) => page.EvaluationResults,
  );
  return Object.fromEntries(
    results.map((r: EvaluationResult) => [
      r.EvalActionName ?? "",
      {
        decision: r.EvalDecision as Decision["decision"],
        policies: [...new Set((r.MatchedStatements ?? []).map((s) => s.SourcePolicyId ?? ""))].sort(),
      },
    ]),
  );
}

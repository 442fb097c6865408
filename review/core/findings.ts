/**
 * What the chain of keys did: the pure analysis behind every report. Events in, findings out;
 * no AWS SDK, no clock, no file system. Every list is sorted, so the same events give the same
 * review byte for byte.
 */
import { ACCOUNT_ID } from "../../incident/fields.ts";
import { compareText } from "../../incident/order.ts";
import { formatInstant } from "../../incident/time.ts";
import { actionOfEvent, eventHeader, serviceOf, type EventCopy, type EventHeader, type ReviewEvent } from "./event.ts";
import {
  callerOf,
  consoleSessionEnd,
  isLeadCall,
  LEAD_CALL_TABLE,
  opensConsole,
  type Chain,
  type Lead,
  type Provenance,
} from "./chain.ts";

/** Why a call matters to an incident, in MITRE ATT&CK's words. */
export type Category =
  | "persistence"
  | "privilege-escalation"
  | "defense-evasion"
  | "credential-access"
  | "exfiltration"
  | "execution";

interface Rule {
  category: Category;
  /**
   * The service whose call the name means (CloudTrail's `eventSource`). A call of that name from
   * another service is still a finding of the category (Transfer Family's `CreateUser` makes an
   * SFTP user, a way back in too), but its target names that service first (`transfer: …`), so
   * that no report reads it as the IAM call.
   */
  eventSource?: string;
  /** Only events that match (for calls that matter only with some parameters). */
  when?: (event: ReviewEvent) => boolean;
}

const IAM = "iam.amazonaws.com";
const LAMBDA = "lambda.amazonaws.com";
const EC2 = "ec2.amazonaws.com";
/** The service of a lead call, from the chain's own table: one home for which service's `CreateUser` is IAM's. */
const leadSource = (name: string) => LEAD_CALL_TABLE[name].eventSource;

const requestField = (event: ReviewEvent, name: string): unknown =>
  typeof event.requestParameters === "object" && event.requestParameters !== null
    ? (event.requestParameters as Record<string, unknown>)[name]
    : undefined;

/**
 * The calls an attacker uses to stay in, to gain more, to hide, to take secrets or data out, or to
 * run code, keyed by action (without the API version Lambda appends). Only successful calls become
 * findings; denied attempts are reported as probing.
 * @see https://attack.mitre.org/matrices/enterprise/cloud/iaas/
 * @see https://stratus-red-team.cloud/attack-techniques/AWS/
 */
export const CALL_RULES: Readonly<Record<string, Rule>> = {
  // Persistence: a way back in that survives the exposed key being disabled.
  CreateUser: { eventSource: leadSource("CreateUser"), category: "persistence" },
  CreateAccessKey: { eventSource: leadSource("CreateAccessKey"), category: "persistence" },
  CreateLoginProfile: { eventSource: leadSource("CreateLoginProfile"), category: "persistence" },
  UpdateLoginProfile: { eventSource: leadSource("UpdateLoginProfile"), category: "persistence" },
  CreateRole: { eventSource: IAM, category: "persistence" },
  UpdateAssumeRolePolicy: { eventSource: IAM, category: "persistence" },
  CreateServiceSpecificCredential: { eventSource: IAM, category: "persistence" },
  UploadSSHPublicKey: { eventSource: IAM, category: "persistence" },
  UploadSigningCertificate: { eventSource: IAM, category: "persistence" },
  CreateVirtualMFADevice: { eventSource: IAM, category: "persistence" },
  EnableMFADevice: { eventSource: IAM, category: "persistence" },
  CreateSAMLProvider: { eventSource: IAM, category: "persistence" },
  UpdateSAMLProvider: { eventSource: IAM, category: "persistence" },
  CreateOpenIDConnectProvider: { eventSource: IAM, category: "persistence" },
  AddClientIDToOpenIDConnectProvider: { eventSource: IAM, category: "persistence" },
  CreateTrustAnchor: { category: "persistence" },
  UpdateTrustAnchor: { category: "persistence" },
  CreateProfile: { category: "persistence", when: (event) => event.eventSource === "rolesanywhere.amazonaws.com" },
  UpdateFunctionCode: { eventSource: LAMBDA, category: "persistence" },
  UpdateFunctionConfiguration: { eventSource: LAMBDA, category: "persistence" },
  PublishLayerVersion: { eventSource: LAMBDA, category: "persistence" },
  AddPermission: { category: "persistence", when: (event) => event.eventSource === "lambda.amazonaws.com" },
  CreateFunctionUrlConfig: { eventSource: LAMBDA, category: "persistence" },
  ImportKeyPair: { eventSource: EC2, category: "persistence" },
  CreateKeyPair: { eventSource: EC2, category: "persistence" },
  ConsoleLogin: { category: "persistence" },
  // A console session made from a session's key: its calls are signed with keys the chain never sees.
  GetSigninToken: { category: "persistence" },
  // Privilege escalation: more permissions for a principal the attacker holds.
  // A member account's root session, from the management account or IAM's delegated administrator:
  // its task policy says which root tasks (a root password, unlocking a bucket's policy…).
  AssumeRoot: { eventSource: leadSource("AssumeRoot"), category: "privilege-escalation" },
  AttachUserPolicy: { eventSource: IAM, category: "privilege-escalation" },
  PutUserPolicy: { eventSource: IAM, category: "privilege-escalation" },
  AttachRolePolicy: { eventSource: IAM, category: "privilege-escalation" },
  PutRolePolicy: { eventSource: IAM, category: "privilege-escalation" },
  AttachGroupPolicy: { eventSource: IAM, category: "privilege-escalation" },
  PutGroupPolicy: { eventSource: IAM, category: "privilege-escalation" },
  CreatePolicyVersion: { eventSource: IAM, category: "privilege-escalation" },
  SetDefaultPolicyVersion: { eventSource: IAM, category: "privilege-escalation" },
  AddUserToGroup: { eventSource: IAM, category: "privilege-escalation" },
  PutUserPermissionsBoundary: { eventSource: IAM, category: "privilege-escalation" },
  DeleteUserPermissionsBoundary: { eventSource: IAM, category: "privilege-escalation" },
  DeleteRolePermissionsBoundary: { eventSource: IAM, category: "privilege-escalation" },
  // Passing a role to code the attacker controls gives the attacker the role.
  CreateFunction: { eventSource: LAMBDA, category: "privilege-escalation" },
  AddRoleToInstanceProfile: { eventSource: IAM, category: "privilege-escalation" },
  AssociateIamInstanceProfile: { category: "privilege-escalation" },
  ReplaceIamInstanceProfileAssociation: { category: "privilege-escalation" },
  // Defense evasion: blinding the logs and detectors the response relies on.
  StopLogging: { category: "defense-evasion" },
  DeleteTrail: { category: "defense-evasion" },
  UpdateTrail: { category: "defense-evasion" },
  PutEventSelectors: { category: "defense-evasion" },
  DeleteFlowLogs: { category: "defense-evasion" },
  DeleteDetector: { category: "defense-evasion" },
  UpdateDetector: { category: "defense-evasion" },
  DisassociateFromMasterAccount: { category: "defense-evasion" },
  DeleteConfigurationRecorder: { category: "defense-evasion" },
  StopConfigurationRecorder: { category: "defense-evasion" },
  DeleteDeliveryChannel: { category: "defense-evasion" },
  DisableSecurityHub: { category: "defense-evasion" },
  DeleteResolverQueryLogConfig: { category: "defense-evasion" },
  DisassociateResolverQueryLogConfig: { category: "defense-evasion" },
  DeleteLogGroup: { category: "defense-evasion" },
  DeleteLogStream: { category: "defense-evasion" },
  LeaveOrganization: { category: "defense-evasion" },
  DeactivateMFADevice: { eventSource: IAM, category: "defense-evasion" },
  DeleteVirtualMFADevice: { eventSource: IAM, category: "defense-evasion" },
  // Credential access: secrets read with the key.
  GetSecretValue: { category: "credential-access" },
  BatchGetSecretValue: { category: "credential-access" },
  GetPasswordData: { category: "credential-access" },
  GetParameter: { category: "credential-access", when: (event) => requestField(event, "withDecryption") === true },
  GetParameters: { category: "credential-access", when: (event) => requestField(event, "withDecryption") === true },
  GetParametersByPath: {
    category: "credential-access",
    when: (event) => requestField(event, "withDecryption") === true,
  },
  // Exfiltration: data shared out of the account or opened to the internet.
  ModifySnapshotAttribute: { category: "exfiltration" },
  ModifyImageAttribute: { category: "exfiltration" },
  ModifyDBSnapshotAttribute: { category: "exfiltration" },
  ModifyDBClusterSnapshotAttribute: { category: "exfiltration" },
  PutBucketPolicy: { category: "exfiltration" },
  PutBucketAcl: { category: "exfiltration" },
  DeleteBucketPolicy: { category: "exfiltration" },
  DeletePublicAccessBlock: { category: "exfiltration" },
  AuthorizeSecurityGroupIngress: { category: "exfiltration" },
  // Execution: code or commands run on the account's compute, or instances started for mining.
  SendCommand: { category: "execution" },
  StartSession: { category: "execution" },
  SendSSHPublicKey: { category: "execution" },
  SendSerialConsoleSSHPublicKey: { category: "execution" },
  EnableSerialConsoleAccess: { category: "execution" },
  RunInstances: { category: "execution" },
};

/** The categories reported under `persistence` (the `--json` list, docs/review.md): a way back in, or more power. */
export const PERSISTENCE_CATEGORIES: readonly Category[] = ["persistence", "privilege-escalation"];

export interface Finding extends EventHeader {
  category: Category;
  /** The key that made the call, or `user:NAME` for a console sign-in. */
  by: string;
  accessKeyId: string | null;
  /** What the call touched, from its parameters, such as `userName=svc-backup`. */
  target: string;
  /** Set when the logs hold other events with this `eventId`: where this copy was read. */
  conflict?: EventCopy;
}

/** Calls rejected for lack of permission: an attacker finding out what the key can do. */
const DENIED = /AccessDenied|Unauthorized|Forbidden|NotAuthorized|AuthorizationError/i;

export function isDenied(event: ReviewEvent): boolean {
  return event.errorCode !== null && DENIED.test(event.errorCode);
}

/** Parameters that name what a call touched, most telling first. */
const TARGET_FIELDS = [
  "userName",
  "roleName",
  "groupName",
  "policyArn",
  "policyName",
  "roleArn",
  "functionName",
  "layerName",
  "trailName",
  "name",
  "bucketName",
  "secretId",
  "instanceId",
  "snapshotId",
  "imageId",
  "dBSnapshotIdentifier",
  "groupId",
  "serialNumber",
  "virtualMFADeviceName",
  "detectorId",
  "logGroupName",
  "target",
];

function targetOf(event: ReviewEvent, rule: Rule): string {
  const parts: string[] = [];
  // Another service's call of an IAM name (a Transfer Family user named like an IAM user) says whose it is.
  if (rule.eventSource !== undefined && event.eventSource !== rule.eventSource)
    parts.push(`${serviceOf(event.eventSource)}:`);
  const parameters =
    typeof event.requestParameters === "object" && event.requestParameters !== null
      ? (event.requestParameters as Record<string, unknown>)
      : {};
  const named = parts.length;
  for (const name of TARGET_FIELDS) {
    const value = parameters[name];
    if (typeof value === "string" && value !== "" && parts.length < named + 2) parts.push(`${name}=${value}`);
  }
  if (event.eventName === "AssumeRoot" && isLeadCall(event)) {
    const { account, taskPolicy } = rootSessionOf(event);
    parts.push(
      `targetPrincipal=${account ?? stringOf(parameters.targetPrincipal) ?? "?"}`,
      `taskPolicyArn=${taskPolicy}`,
    );
  }
  const response = event.responseElements as { accessKey?: { accessKeyId?: unknown } } | null;
  const createdKey = response?.accessKey?.accessKeyId;
  if (typeof createdKey === "string") parts.push(`accessKeyId=${createdKey}`);
  if ((event.eventName === "ConsoleLogin" || event.eventName === "GetSigninToken") && event.principalArn !== null)
    parts.push(event.principalArn);
  // Without userName, a login profile call sets the caller's own password: a root session's is the root user's.
  if (
    (event.eventName === "CreateLoginProfile" || event.eventName === "UpdateLoginProfile") &&
    typeof parameters.userName !== "string" &&
    event.principalArn !== null
  )
    parts.push(event.principalArn);
  return parts.join(" ");
}

/** The rule of an event's call; its own keys only: a call named `__proto__` or `constructor` in a forged record is no rule's. */
function ruleOf(event: ReviewEvent): Rule | undefined {
  const action = actionOfEvent(event.eventName);
  return Object.hasOwn(CALL_RULES, action) ? CALL_RULES[action] : undefined;
}

export function classify(event: ReviewEvent): Category | null {
  const rule = ruleOf(event);
  if (rule === undefined || event.errorCode !== null) return null;
  if (
    event.eventName === "ConsoleLogin" &&
    (event.responseElements as { ConsoleLogin?: unknown } | null)?.ConsoleLogin !== "Success"
  )
    return null;
  // A refused sign-in token opened nothing: `Failure`, with or without an error code.
  if (event.eventName === "GetSigninToken" && !opensConsole(event)) return null;
  return rule.when === undefined || rule.when(event) ? rule.category : null;
}

export interface KeyNode extends Provenance {
  accessKeyId: string;
  /** The window the key was searched in: its possible lifetime, within the review's window. */
  searchedFrom: string | null;
  searchedUntil: string | null;
  events: number;
}

export interface UserNode {
  userName: string;
  accountId: string | null;
  parent: string;
  /** `CreateUser`, `CreateLoginProfile` or `UpdateLoginProfile`. */
  reason: string;
  at: string;
  eventId: string;
  events: number;
}

export interface ActionGroup {
  service: string;
  action: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

export interface DeniedGroup extends ActionGroup {
  errorCodes: string[];
}

export interface Tally {
  value: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
}

/**
 * An account the chain reached: one that received its calls (CloudTrail's `recipientAccountId`),
 * or the account of a role it assumed (the account in the role's ARN). An incident contains the
 * principals of each such account in that account (issue 11).
 */
export interface AccountReached {
  /** 12 digits. */
  account: string;
  /** Whether the reviewed key belongs to this account (the `userIdentity.accountId` of its own calls). */
  reviewedKey: boolean;
  /** The chain's events this account received. */
  events: number;
  /** Roles assumed in this account (successfully), sorted. */
  roles: string[];
  /**
   * The task policies of the root sessions the chain took in this account (sts:AssumeRoot,
   * successfully), sorted; absent when it took none. A root session's calls are the root user's.
   */
  rootSessions?: string[];
}

/** The account in a role ARN (`arn:aws:iam::444455556666:role/path/name`), or null. */
export function accountOfRoleArn(roleArn: string): string | null {
  return /^arn:aws[a-z-]*:iam::(\d{12}):role\//.exec(roleArn)?.[1] ?? null;
}

const stringOf = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

/** What an AssumeRoot names in its request (as CloudTrail writes it), each part null or `?` where it says nothing usable. */
export interface RootSession {
  /** The member account: `targetPrincipal`, an account id or a principal ARN of the account. */
  account: string | null;
  /** `taskPolicyArn.arn`: which root tasks the session may do. */
  taskPolicy: string;
}

/**
 * The member account and task policy of an AssumeRoot call. `targetPrincipal` is "the member
 * account principal ARN or account ID"; only 12 digits, or the account of an IAM ARN, name one: a
 * forged log can write anything there.
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/cloudtrail-track-privileged-tasks.html
 */
export function rootSessionOf(event: Pick<ReviewEvent, "requestParameters">): RootSession {
  const parameters =
    typeof event.requestParameters === "object" && event.requestParameters !== null
      ? (event.requestParameters as Record<string, unknown>)
      : {};
  const target = stringOf(parameters.targetPrincipal);
  const account =
    target === null
      ? null
      : ACCOUNT_ID.test(target)
        ? target
        : (/^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(target)?.[1] ?? null);
  const policy = parameters.taskPolicyArn;
  const taskPolicy =
    stringOf(typeof policy === "object" && policy !== null ? (policy as { arn?: unknown }).arn : policy) ?? "?";
  return { account, taskPolicy };
}

/** Everything the reports show. */
export interface Review {
  root: string;
  since: string | null;
  until: string | null;
  keys: KeyNode[];
  users: UserNode[];
  /** The events within the window: what every finding, tally and picture is made of. */
  events: ReviewEvent[];
  /**
   * The calls before the window that minted or created credentials still alive at its start,
   * which the review followed into it (core/chain.ts): shown as such, and no finding of the window.
   */
  earlier: ReviewEvent[];
  /** Successful calls that change something (readOnly false), by service and action. */
  writes: ActionGroup[];
  /** Calls refused for lack of permission, by service and action. */
  denied: DeniedGroup[];
  sourceIPs: Tally[];
  userAgents: Tally[];
  regions: Tally[];
  findings: Finding[];
  /** Roles the chain's keys assumed successfully: candidates for the incident's `roles`. */
  rolesAssumed: string[];
  /** The account of the reviewed key, as its own calls name it; null when it made none. */
  keyAccount: string | null;
  /** The accounts the chain reached: the reviewed key's first, then by account id. */
  accounts: AccountReached[];
  /** The console sessions the chain's keys opened, whose calls the review did not follow: it is incomplete. */
  consoleSessions: ConsoleSession[];
}

/**
 * A console session opened from a followed key (`GetSigninToken`, the federation endpoint's call
 * that aws_consoler makes): the console signs its calls with keys of its own, which no event the
 * chain reads mints or names. Only the principal ties them to the chain.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_enable-console-custom-url.html
 */
export interface ConsoleSession {
  /** The principal the console acts as: the `userIdentity.arn` of the GetSigninToken call, null when it names none. */
  principalArn: string | null;
  /** The key whose session became a console session, or `user:NAME`. */
  by: string;
  eventId: string;
  /** When the console session was opened: the GetSigninToken call. */
  from: string;
  /** The latest it can end ({@link consoleSessionEnd}), within the review's window; null for the window's open end. */
  until: string | null;
}

/**
 * The console sessions the chain's keys opened: each successful GetSigninToken, in the window or
 * before it and alive into it ({@link consoleSessionEnd}), never past the review's end. In time order.
 */
function consoleSessionsOf(chain: Chain): ConsoleSession[] {
  const keyEnds = new Map<string, number | null>();
  for (const lead of chain.leads)
    if (lead.subject.kind === "key") keyEnds.set(lead.subject.accessKeyId, lead.window.end);
  const sessions: ConsoleSession[] = [];
  for (const event of [...chain.earlier, ...chain.events]) {
    if (!opensConsole(event)) continue;
    const latest = consoleSessionEnd(
      Date.parse(event.eventTime),
      event.accessKeyId === null ? null : (keyEnds.get(event.accessKeyId) ?? null),
    );
    const end =
      chain.window.end === null ? latest : latest === null ? chain.window.end : Math.min(latest, chain.window.end);
    sessions.push({
      principalArn: event.principalArn,
      by: callerOf(event),
      eventId: event.eventId,
      from: event.eventTime,
      until: iso(end),
    });
  }
  return sessions;
}

const iso = (ms: number | null) => (ms === null ? null : formatInstant(new Date(ms)));

function tally(events: ReviewEvent[], valueFor: (event: ReviewEvent) => string | null): Tally[] {
  const tallies = new Map<string, Tally>();
  for (const event of events) {
    const value = valueFor(event);
    if (value === null) continue;
    const found = tallies.get(value);
    if (found === undefined)
      tallies.set(value, { value, count: 1, firstSeen: event.eventTime, lastSeen: event.eventTime });
    else {
      found.count += 1;
      found.lastSeen = event.eventTime;
    }
  }
  return [...tallies.values()].sort((a, b) => b.count - a.count || compareText(a.value, b.value));
}

function group(events: ReviewEvent[]): DeniedGroup[] {
  const groups = new Map<string, DeniedGroup>();
  for (const event of events) {
    const service = serviceOf(event.eventSource);
    const action = actionOfEvent(event.eventName);
    const key = `${service} ${action}`;
    const found = groups.get(key);
    if (found === undefined)
      groups.set(key, {
        service,
        action,
        count: 1,
        firstSeen: event.eventTime,
        lastSeen: event.eventTime,
        errorCodes: event.errorCode === null ? [] : [event.errorCode],
      });
    else {
      found.count += 1;
      found.lastSeen = event.eventTime;
      if (event.errorCode !== null && !found.errorCodes.includes(event.errorCode))
        found.errorCodes.push(event.errorCode);
    }
  }
  return [...groups.values()]
    .map((g) => ({ ...g, errorCodes: [...g.errorCodes].sort(compareText) }))
    .sort((a, b) => compareText(a.service, b.service) || compareText(a.action, b.action));
}

function keyNode(lead: Lead & { subject: { kind: "key" } }, events: number): KeyNode {
  return {
    accessKeyId: lead.subject.accessKeyId,
    parent: lead.parent,
    mintedBy: lead.mintedBy,
    mintedAt: lead.mintedAt,
    mintedEventId: lead.mintedEventId,
    roleArn: lead.roleArn,
    userName: lead.userName,
    searchedFrom: iso(lead.window.start),
    searchedUntil: iso(lead.window.end),
    events,
  };
}

/**
 * Orders keys as a tree walked depth first: each key right after the key that minted it, siblings
 * by the time they were minted.
 */
function asTree(keys: KeyNode[]): KeyNode[] {
  const children = new Map<string | null, KeyNode[]>();
  const ids = new Set(keys.map((key) => key.accessKeyId));
  for (const key of keys) {
    const parent = key.parent !== null && ids.has(key.parent) ? key.parent : key.mintedBy === null ? null : "orphan";
    const siblings = children.get(parent);
    if (siblings === undefined) children.set(parent, [key]);
    else siblings.push(key);
  }
  const ordered: KeyNode[] = [];
  // Depth first with a stack, not recursion: a chain of role sessions can be any length.
  const walk = (parent: string | null) => {
    const stack = [...(children.get(parent) ?? [])].reverse();
    for (let key = stack.pop(); key !== undefined; key = stack.pop()) {
      ordered.push(key);
      const below = children.get(key.accessKeyId) ?? [];
      for (let i = below.length - 1; i >= 0; i--) stack.push(below[i]);
    }
  };
  walk(null);
  // Keys minted by a followed user's console session hang under that user, not under a key.
  walk("orphan");
  return ordered;
}

export function analyze(chain: Chain): Review {
  const { events } = chain;
  const perCaller = new Map<string, number>();
  const perUser = new Map<string, number>();
  for (const event of events) {
    perCaller.set(callerOf(event), (perCaller.get(callerOf(event)) ?? 0) + 1);
    // Console and own-key calls of an IAM user, as the user subjects are read.
    if (event.identityType === "IAMUser" && event.userName !== null) {
      const user = `${event.accountId ?? "?"}:${event.userName}`;
      perUser.set(user, (perUser.get(user) ?? 0) + 1);
    }
  }
  const keys: KeyNode[] = [];
  const users: UserNode[] = [];
  for (const lead of chain.leads) {
    if (lead.subject.kind === "key")
      keys.push(keyNode(lead as Lead & { subject: { kind: "key" } }, perCaller.get(lead.subject.accessKeyId) ?? 0));
    else {
      users.push({
        userName: lead.subject.userName,
        accountId: lead.subject.accountId,
        parent: lead.parent ?? chain.root,
        reason: lead.mintedBy ?? "",
        at: lead.mintedAt ?? "",
        eventId: lead.mintedEventId ?? "",
        events: perUser.get(`${lead.subject.accountId ?? "?"}:${lead.subject.userName}`) ?? 0,
      });
    }
  }

  const findings: Finding[] = [];
  for (const event of events) {
    const category = classify(event);
    if (category === null) continue;
    findings.push({
      category,
      ...eventHeader(event),
      by: callerOf(event),
      accessKeyId: event.accessKeyId,
      target: targetOf(event, ruleOf(event) as Rule),
      ...(event.conflict === undefined ? {} : { conflict: event.conflict }),
    });
  }

  // A role assumed before the window counts when its session was still alive in it: it must be cut off too.
  const rolesAssumed = new Set<string>();
  // Likewise a root session (AssumeRoot lives 15 minutes at most, but what it did there stays).
  const rootSessions = new Map<string, Set<string>>();
  for (const event of [...chain.earlier, ...events]) {
    if (event.errorCode !== null || !isLeadCall(event)) continue;
    const roleArn = (event.requestParameters as { roleArn?: unknown } | null)?.roleArn;
    if (event.eventName.startsWith("AssumeRole") && typeof roleArn === "string") rolesAssumed.add(roleArn);
    if (event.eventName === "AssumeRoot") {
      const { account, taskPolicy } = rootSessionOf(event);
      if (account === null) continue;
      const tasks = rootSessions.get(account);
      if (tasks === undefined) rootSessions.set(account, new Set([taskPolicy]));
      else tasks.add(taskPolicy);
    }
  }

  const roles = [...rolesAssumed].sort(compareText);
  const keyAccount = mostFrequent(
    [...chain.earlier, ...events].filter((event) => event.accessKeyId === chain.root).map((event) => event.accountId),
  );
  return {
    root: chain.root,
    since: iso(chain.window.start),
    until: iso(chain.window.end),
    keys: asTree(keys),
    users,
    events,
    earlier: chain.earlier,
    writes: group(events.filter((event) => !event.readOnly && event.errorCode === null)).map(
      ({ errorCodes: _errorCodes, ...rest }) => rest,
    ),
    denied: group(events.filter(isDenied)),
    sourceIPs: tally(events, (event) => event.sourceIPAddress),
    userAgents: tally(events, (event) => event.userAgent),
    regions: tally(events, (event) => event.region || null),
    findings,
    rolesAssumed: roles,
    keyAccount,
    accounts: accountsReached(events, roles, rootSessions, keyAccount),
    consoleSessions: consoleSessionsOf(chain),
  };
}

/** The value most often found (the least, as text, of those found as often); null for none. */
function mostFrequent(values: (string | null)[]): string | null {
  const counts = new Map<string, number>();
  for (const value of values)
    if (value !== null && ACCOUNT_ID.test(value)) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: string | null = null;
  for (const [value, n] of counts)
    if (best === null || n > (counts.get(best) as number) || (n === counts.get(best) && compareText(value, best) < 0))
      best = value;
  return best;
}

function accountsReached(
  events: ReviewEvent[],
  roles: string[],
  rootSessions: ReadonlyMap<string, ReadonlySet<string>>,
  keyAccount: string | null,
): AccountReached[] {
  const accounts = new Map<string, AccountReached>();
  const entry = (account: string) => {
    let found = accounts.get(account);
    if (found === undefined)
      accounts.set(account, (found = { account, reviewedKey: account === keyAccount, events: 0, roles: [] }));
    return found;
  };
  if (keyAccount !== null) entry(keyAccount);
  // Only account ids: a forged log can write anything in recipientAccountId.
  for (const event of events)
    if (event.recipientAccountId !== null && ACCOUNT_ID.test(event.recipientAccountId))
      entry(event.recipientAccountId).events++;
  for (const role of roles) {
    const account = accountOfRoleArn(role);
    if (account !== null) entry(account).roles.push(role);
  }
  for (const [account, tasks] of rootSessions) entry(account).rootSessions = [...tasks].sort(compareText);
  return [...accounts.values()].sort(
    (a, b) => Number(b.reviewedKey) - Number(a.reviewedKey) || compareText(a.account, b.account),
  );
}

/**
 * Every credential of a compromised user, and its fate: the credentials IAM lists for each user
 * the incidents name (access keys, service-specific credentials, SSH public keys, signing
 * certificates), the console password and the MFA devices, in; what each becomes out. Pure: no
 * Pulumi, no SDK, no clock.
 *
 * The default is AWS's runbook (AWSSupport-ContainIAMPrincipal): everything is disabled but what
 * the files keep by id. A credential is kept only when every incident naming its user keeps it,
 * and never when an incident lists it as exposed. Nothing is ever deleted (but the console
 * password, which AWS cannot disable: deleted unless kept, said before anything is applied),
 * nothing is ever set Active, and nothing is undone when an incident goes: a credential set
 * Inactive stays Inactive.
 * @see https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/awssupport-contain-iam-principal.html
 */
import { KEPT_CREDENTIAL_FIELDS, type KeptCredentialField, principalKey } from "../incident/fields.ts";
import { byKey, compareText } from "../incident/order.ts";
import { AT_CONTAINMENT, keptBy, type Incident, type KeptCredentials } from "../incident/types.ts";
import { recordedFor } from "./policies.ts";
import { type AccessKeyPlan, type ContainmentInstants, type Plan, type Principal, spelledAs } from "./plan.ts";

/** The kinds of credential IAM lists for a user, besides its password. */
export const CREDENTIAL_KINDS = [
  "access-key",
  "service-specific-credential",
  "ssh-public-key",
  "signing-certificate",
] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** The field of `keep:` that names each kind. */
export const KEEP_FIELD: Readonly<Record<CredentialKind, KeptCredentialField>> = {
  "access-key": "accessKeys",
  "service-specific-credential": "serviceSpecificCredentials",
  "ssh-public-key": "sshPublicKeys",
  "signing-certificate": "signingCertificates",
};

/** How people call each kind. */
export const KIND_NOUN: Readonly<Record<CredentialKind, string>> = {
  "access-key": "access key",
  "service-specific-credential": "service-specific credential",
  "ssh-public-key": "SSH public key",
  "signing-certificate": "signing certificate",
};

/** AWS attaches `AWSCompromisedKeyQuarantine`, `...V2`, `...V3` to a user whose key it found in public. */
export const QUARANTINE_POLICY = /^AWSCompromisedKeyQuarantine(V\d+)?$/;

/** One credential as IAM lists it. */
export interface ListedCredential {
  kind: CredentialKind;
  id: string;
  /** `Active`, `Inactive`, or (service-specific credentials with an expiry) `Expired`. */
  status: string;
  createdAt: string | null;
  /** A service-specific credential's service: `codecommit.amazonaws.com`, `cassandra.amazonaws.com`, `bedrock.amazonaws.com`. */
  service?: string;
}

/** What IAM lists for one user (aws/credentials.ts reads it). */
export interface UserListing {
  account: string;
  user: string;
  /** False when IAM has no such user: nothing of it can work. */
  exists: boolean;
  credentials: ListedCredential[];
  /** The console password, when the user has one. */
  loginProfile: { createdAt: string | null } | null;
  mfaDevices: { serial: string; enabledAt: string | null }[];
  /** Names of the managed policies attached to the user itself. */
  attachedPolicies: string[];
}

/**
 * What becomes of one credential:
 * - `disable`: Active now, set Inactive (imported, never replaced, never deleted);
 * - `already-inactive`: Inactive now, kept so (imported: a credential re-enabled by hand is disabled again);
 * - `expired`: a service-specific credential past its expiry: it works no more, nothing to do;
 * - `kept`: the files keep it: left as it is (never re-enabled either);
 * - `gone`: a credential the files name that IAM no longer lists (deleted: it works no more);
 * - `at-up`: IAM was not asked (a plan without a listing): the fate is decided by the listing at
 *   `pulumi up` (a credential the files keep is `kept`, listed or not).
 */
export type CredentialFate = "disable" | "already-inactive" | "expired" | "kept" | "gone" | "at-up";

export interface CredentialEntry {
  account: string;
  user: string;
  kind: CredentialKind;
  id: string;
  /** As IAM listed it; null when it was not listed. */
  status: string | null;
  fate: CredentialFate;
  createdAt: string | null;
  service: string | null;
  /** An access key an incident lists as exposed. */
  exposed: boolean;
  /** The incidents that name the user. */
  incidents: string[];
  /** The component that keeps it Inactive, named from account, user and id; null when nothing is declared for it. */
  resourceName: string | null;
  /** How the provider imports it (`pulumi import` ids); null when nothing is declared for it. */
  importId: string | null;
}

/** The console password: deleted unless kept, since AWS cannot disable one. */
export interface ConsolePasswordPlan {
  /** `present` or `absent` as IAM listed it; `unknown` without a listing. */
  state: "present" | "absent" | "unknown";
  /**
   * `delete`: deleted at `pulumi up` (DeleteLoginProfile), which cannot be undone; `kept`; `none`:
   * there is none; `delete-if-present`, `kept-if-present`: without a listing.
   */
  fate: "delete" | "kept" | "none" | "delete-if-present" | "kept-if-present";
  createdAt: string | null;
}

export interface MfaDevicePlan {
  serial: string;
  /** When it was enabled, as IAM listed it; null when unknown (not listed, or no date). */
  enabledAt: string | null;
  /** Enabled after the earliest cutoff of the user's incidents (whoever enabled it held a credential then); null when unknown. */
  afterCutoff: boolean | null;
  /**
   * `deactivate`: the files ask (DeactivateMFADevice; the device is not deleted); `report`: enabled
   * after the cutoff, not asked: said, left as it is; `none`: left as it is; `gone`: asked, but IAM
   * does not list it; `at-up`: asked, without a listing.
   */
  fate: "deactivate" | "report" | "none" | "gone" | "at-up";
}

export interface UserCredentialPlan {
  account: string;
  user: string;
  incidents: string[];
  /** What every incident naming the user keeps: a credential is kept only when all of them keep it. */
  keep: KeptCredentials;
  /** Whether IAM's listing is known (the program reads it; a plan without credentials has none). */
  listed: boolean;
  /** False when IAM has no such user; null without a listing. */
  exists: boolean | null;
  credentials: CredentialEntry[];
  consolePassword: ConsolePasswordPlan;
  mfaDevices: MfaDevicePlan[];
  /** AWS's quarantine policies attached to the user: cordon never detaches them. */
  quarantinePolicies: string[];
}

export interface CredentialPlan {
  users: UserCredentialPlan[];
}

export interface CredentialPlanOptions {
  /** Only this account's users (a stack deploys one account). */
  account?: string;
  /** What IAM listed for each user; without it, the plan says what `pulumi up` will list. */
  listings?: readonly UserListing[];
  /** Recorded containment instants, for the cutoff that MFA devices are compared with. */
  containment?: ContainmentInstants;
  /**
   * Users as this stack's state spells them: their credentials' resource names keep that spelling,
   * as their deny's do (`PlanOptions.spellings`).
   * @default []
   */
  spellings?: readonly Principal[];
}

const userKey = (account: string, user: string) => `${account}\u0000${user.toLowerCase()}`;

/** The fate of every credential of every user the incidents name. */
export function credentialPlan(incidents: readonly Incident[], options: CredentialPlanOptions = {}): CredentialPlan {
  const inAccount = (account: string) => options.account === undefined || account === options.account;
  const listings = new Map(
    (options.listings ?? []).map((listing) => [userKey(listing.account, listing.user), listing]),
  );
  const spell = spelledAs(options.spellings);
  const users = new Map<
    string,
    {
      account: string;
      user: string;
      incidents: Incident[];
      kept: KeptCredentials[];
      exposed: Set<string>;
      devices: Set<string>;
    }
  >();
  for (const incident of [...incidents].sort(byKey((i) => i.id))) {
    for (const user of incident.users.filter((u) => inAccount(u.account))) {
      const key = userKey(user.account, user.name);
      const entry = users.get(key) ?? {
        account: user.account,
        user: spell(user.account, "user", user.name),
        incidents: [],
        kept: [],
        exposed: new Set<string>(),
        devices: new Set<string>(),
      };
      entry.incidents.push(incident);
      entry.kept.push(keptBy(user));
      for (const id of user.accessKeys) entry.exposed.add(id);
      for (const serial of user.deactivateMfaDevices ?? []) entry.devices.add(serial);
      users.set(key, entry);
    }
  }
  const plans = [...users.entries()].map(([key, entry]) => {
    const keep = intersect(entry.kept, entry.exposed);
    return userPlan(entry, keep, listings.get(key), earliestCutoff(entry.incidents, options.containment ?? {}));
  });
  return { users: plans.sort(byKey((u) => `${u.account}/${u.user}`)) };
}

/** What all of `kept` keep, but never an exposed key. */
function intersect(kept: KeptCredentials[], exposed: ReadonlySet<string>): KeptCredentials {
  const all = (field: KeptCredentialField) => {
    let common = new Set(kept[0][field]);
    for (const k of kept.slice(1)) common = new Set(k[field].filter((id) => common.has(id)));
    return common;
  };
  const out = Object.fromEntries(
    KEPT_CREDENTIAL_FIELDS.map((field) => [field, [...all(field)].filter((id) => !exposed.has(id)).sort(compareText)]),
  ) as Omit<KeptCredentials, "consolePassword">;
  return { ...out, consolePassword: kept.every((k) => k.consolePassword) };
}

/** The earliest instant among the incidents' cutoffs that is known; null when none is. */
function earliestCutoff(incidents: Incident[], containment: ContainmentInstants): number | null {
  const instants = incidents
    .map((i) => (i.cutoff === AT_CONTAINMENT ? recordedFor(containment, i.id) : i.cutoff))
    .filter((c): c is string => c !== undefined)
    .map((c) => Date.parse(c));
  return instants.length === 0 ? null : Math.min(...instants);
}

function userPlan(
  entry: { account: string; user: string; incidents: Incident[]; exposed: Set<string>; devices: Set<string> },
  keep: KeptCredentials,
  listing: UserListing | undefined,
  cutoff: number | null,
): UserCredentialPlan {
  const { account, user } = entry;
  const incidents = entry.incidents.map((i) => i.id).sort(compareText);
  const keptIds = new Map(KEPT_CREDENTIAL_FIELDS.map((field) => [field, new Set(keep[field])]));
  const isKept = (kind: CredentialKind, id: string) => keptIds.get(KEEP_FIELD[kind])!.has(id) && !entry.exposed.has(id);
  const named = [
    ...[...entry.exposed].map((id) => ({ kind: "access-key" as const, id })),
    ...CREDENTIAL_KINDS.flatMap((kind) => keep[KEEP_FIELD[kind]].map((id) => ({ kind, id }))),
  ];
  const base = (kind: CredentialKind, id: string) => ({
    account,
    user,
    kind,
    id,
    exposed: kind === "access-key" && entry.exposed.has(id),
    incidents,
  });

  let credentials: CredentialEntry[];
  if (listing === undefined) {
    credentials = named.map(({ kind, id }) => ({
      ...base(kind, id),
      status: null,
      fate: isKept(kind, id) ? "kept" : "at-up",
      createdAt: null,
      service: null,
      resourceName: null,
      importId: null,
    }));
  } else {
    const listed = listing.credentials.map((credential): CredentialEntry => {
      const fate: CredentialFate = isKept(credential.kind, credential.id)
        ? "kept"
        : credential.status === "Expired"
          ? "expired"
          : credential.status === "Inactive"
            ? "already-inactive"
            : "disable";
      const declared = fate === "disable" || fate === "already-inactive";
      return {
        ...base(credential.kind, credential.id),
        status: credential.status,
        fate,
        createdAt: credential.createdAt,
        service: credential.service ?? null,
        resourceName: declared ? resourceNameOf(account, user, credential.kind, credential.id) : null,
        importId: declared ? importIdOf(user, credential) : null,
      };
    });
    const seen = new Set(listing.credentials.map((c) => `${c.kind}/${c.id}`));
    const gone = named
      .filter(({ kind, id }) => !seen.has(`${kind}/${id}`))
      .map(
        ({ kind, id }): CredentialEntry => ({
          ...base(kind, id),
          status: null,
          fate: "gone",
          createdAt: null,
          service: null,
          resourceName: null,
          importId: null,
        }),
      );
    credentials = [...listed, ...gone];
  }
  const unique = new Map(credentials.map((c) => [`${c.kind}/${c.id}`, c]));

  const consolePassword: ConsolePasswordPlan =
    listing === undefined
      ? { state: "unknown", fate: keep.consolePassword ? "kept-if-present" : "delete-if-present", createdAt: null }
      : listing.loginProfile === null
        ? { state: "absent", fate: "none", createdAt: null }
        : {
            state: "present",
            fate: keep.consolePassword ? "kept" : "delete",
            createdAt: listing.loginProfile.createdAt,
          };

  const asked = entry.devices;
  const mfaDevices: MfaDevicePlan[] =
    listing === undefined
      ? [...asked].map((serial) => ({ serial, enabledAt: null, afterCutoff: null, fate: "at-up" as const }))
      : [
          ...listing.mfaDevices.map((device): MfaDevicePlan => {
            const enabled = device.enabledAt === null ? undefined : Date.parse(device.enabledAt);
            const afterCutoff = enabled === undefined || cutoff === null ? null : enabled > cutoff;
            return {
              serial: device.serial,
              enabledAt: device.enabledAt,
              afterCutoff,
              fate: asked.has(device.serial) ? "deactivate" : afterCutoff === true ? "report" : "none",
            };
          }),
          ...[...asked]
            .filter((serial) => !listing.mfaDevices.some((d) => d.serial === serial))
            .map((serial) => ({ serial, enabledAt: null, afterCutoff: null, fate: "gone" as const })),
        ];

  return {
    account,
    user,
    incidents,
    keep,
    listed: listing !== undefined,
    exists: listing === undefined ? null : listing.exists,
    credentials: [...unique.values()].sort(byKey((c) => `${CREDENTIAL_KINDS.indexOf(c.kind)}/${c.id}`)),
    consolePassword,
    mfaDevices: mfaDevices.sort(byKey((d) => d.serial)),
    quarantinePolicies: (listing?.attachedPolicies ?? [])
      .filter((name) => QUARANTINE_POLICY.test(name))
      .sort(compareText),
  };
}

const KIND_PART: Readonly<Record<Exclude<CredentialKind, "access-key">, string>> = {
  "service-specific-credential": "service-credential",
  "ssh-public-key": "ssh-key",
  "signing-certificate": "signing-certificate",
};

/**
 * The Pulumi resource name of the component that keeps a credential Inactive: an access key's is
 * the name the exposed keys have always had (`<account>-<user>-<id>`), so a key that an incident
 * lists and IAM lists keeps one resource.
 */
export function resourceNameOf(account: string, user: string, kind: CredentialKind, id: string): string {
  return kind === "access-key" ? `${account}-${user}-${id}` : `${account}-${user}-${KIND_PART[kind]}-${id}`;
}

/**
 * The id the provider imports each kind by (its `pulumi import` id, pulumi-aws 7.48.0's docs):
 * an access key by its id; an SSH key `user:id:SSH`; a signing certificate `id:user`; a
 * service-specific credential `service:user:id`.
 */
export function importIdOf(user: string, credential: Pick<ListedCredential, "kind" | "id" | "service">): string {
  switch (credential.kind) {
    case "access-key":
      return credential.id;
    case "ssh-public-key":
      return `${user}:${credential.id}:SSH`;
    case "signing-certificate":
      return `${credential.id}:${user}`;
    case "service-specific-credential":
      return `${credential.service ?? ""}:${user}:${credential.id}`;
  }
}

/** A credential other than an access key that the program keeps Inactive: one component each. */
export interface DisabledCredentialPlan {
  account: string;
  user: string;
  kind: Exclude<CredentialKind, "access-key">;
  id: string;
  /** Always Inactive: cordon never sets a credential Active, never deletes one. */
  status: "Inactive";
  service: string | null;
  importId: string;
  resourceName: string;
  incidents: string[];
}

/**
 * Everything the program declares Inactive: the access keys (the files' exposed keys, with every
 * other access key the listing found, one resource per key) and every other credential, one each.
 * Sorted by resource name.
 */
export function credentialsToDisable(
  plan: Pick<Plan, "accessKeys">,
  credentials: CredentialPlan,
): { accessKeys: AccessKeyPlan[]; others: DisabledCredentialPlan[] } {
  const keys = new Map(plan.accessKeys.map((key) => [key.resourceName, key]));
  const others: DisabledCredentialPlan[] = [];
  for (const entry of credentials.users.flatMap((u) => u.credentials)) {
    if (entry.resourceName === null || entry.importId === null) continue;
    if (entry.kind === "access-key") {
      if (!keys.has(entry.resourceName)) {
        keys.set(entry.resourceName, {
          account: entry.account,
          user: entry.user,
          accessKeyId: entry.id,
          status: "Inactive",
          incidents: entry.incidents,
          resourceName: entry.resourceName,
        });
      }
      continue;
    }
    others.push({
      account: entry.account,
      user: entry.user,
      kind: entry.kind,
      id: entry.id,
      status: "Inactive",
      service: entry.service,
      importId: entry.importId,
      resourceName: entry.resourceName,
      incidents: entry.incidents,
    });
  }
  return {
    accessKeys: [...keys.values()].sort(byKey((k) => k.resourceName)),
    others: others.sort(byKey((c) => c.resourceName)),
  };
}

/** The users whose console password `pulumi up` deletes, and the MFA devices it deactivates. */
export function irreversibleActions(credentials: CredentialPlan): {
  deleteConsolePasswords: { account: string; user: string }[];
  deactivateMfaDevices: { account: string; user: string; serial: string }[];
} {
  return {
    deleteConsolePasswords: credentials.users
      .filter((u) => u.consolePassword.fate === "delete")
      .map(({ account, user }) => ({ account, user })),
    deactivateMfaDevices: credentials.users.flatMap((u) =>
      u.mfaDevices
        .filter((d) => d.fate === "deactivate")
        .map((d) => ({ account: u.account, user: u.user, serial: d.serial })),
    ),
  };
}

/** An access key that must be Inactive before an incident's containment instant is recorded. */
export interface KeyToContain {
  user: string;
  accessKeyId: string;
}

/**
 * Every access key IAM listed for the users of `incident` that the files do not keep, sorted by
 * id: the exposed keys, and every other one, Active or already Inactive. Any of them could have
 * minted sessions until it was disabled, so each must be Inactive before the incident's instant
 * is recorded, and a key none of the earlier instants knew records it again (plan/declarations.ts).
 */
export function accessKeysToContain(credentials: CredentialPlan, incident: string): KeyToContain[] {
  return credentials.users
    .filter((u) => u.incidents.includes(incident))
    .flatMap((u) =>
      u.credentials
        .filter((c) => c.kind === "access-key" && (c.fate === "disable" || c.fate === "already-inactive"))
        .map((c) => ({ user: u.user, accessKeyId: c.id })),
    )
    .sort(byKey((k) => k.accessKeyId));
}

/** What the plan keeps for each user of these incidents, by the user's principal key (`principalKey`). */
export function keptByUser(incidents: readonly Incident[]): Map<string, UserCredentialPlan> {
  return new Map(credentialPlan(incidents).users.map((u) => [principalKey(u.account, "user", u.user), u]));
}

/** Whether anything is kept at all. */
export function keepsAnything(kept: KeptCredentials): boolean {
  return kept.consolePassword || KEPT_CREDENTIAL_FIELDS.some((field) => kept[field].length > 0);
}

/** What the incidents keep for one user, and which of them keep it (each with its file). */
export interface KeptAlready {
  keep: KeptCredentials;
  incidents: { id: string; file: string }[];
}

/**
 * What a new incident must repeat so as to take nothing away: for each user these incidents keep
 * something of, what the plan keeps (a credential is kept only when every incident naming its user
 * keeps it), by the user's principal key. A new incident naming the user without it would disable
 * what a reviewer kept, and delete a console password for good.
 */
export function keepsToRepeat(incidents: readonly Incident[]): Map<string, KeptAlready> {
  const files = new Map(incidents.map((incident) => [incident.id, incident.file]));
  const repeat = new Map<string, KeptAlready>();
  for (const [key, user] of keptByUser(incidents)) {
    if (!keepsAnything(user.keep)) continue;
    repeat.set(key, { keep: user.keep, incidents: user.incidents.map((id) => ({ id, file: files.get(id) ?? id })) });
  }
  return repeat;
}

/**
 * The users of `incident` whose access keys are read back after the run's key steps, each with the
 * keys the files keep and whether IAM had it when the run listed it: every other key IAM lists then
 * must be Inactive, one created since the listing too.
 */
export function keyHoldersOf(
  credentials: CredentialPlan,
  incident: string,
): { user: string; keep: string[]; existed: boolean }[] {
  return credentials.users
    .filter((u) => u.incidents.includes(incident))
    .map((u) => ({ user: u.user, keep: u.keep.accessKeys, existed: u.exists === true }));
}

/**
 * The spelling under which this stack's state already names each principal's resources, read
 * from its last checkpoint (`pulumi:pulumi:readStackResourceOutputs`). IAM ignores case in user and
 * role names; Pulumi's resource names do not. A principal the files respell (an expired incident
 * spelling `Deploy` removed, a new one spelling `deploy` added, in one change) would otherwise be
 * declared under a new resource name: the engine creates the new deny, which writes the same IAM
 * policy again, then deletes the old resource, which deletes that very policy. The plan keeps the
 * state's spelling instead (`PlanOptions.spellings`). Pure: the program passes what the engine read.
 */
import { DisabledAccessKey } from "../components/DisabledAccessKey.ts";
import { DisabledServiceSpecificCredential } from "../components/DisabledServiceSpecificCredential.ts";
import { DisabledSigningCertificate } from "../components/DisabledSigningCertificate.ts";
import { DisabledSshPublicKey } from "../components/DisabledSshPublicKey.ts";
import { SessionRevocation } from "../components/SessionRevocation.ts";
import { principalKey } from "../incident/fields.ts";
import { byKey, compareText } from "../incident/order.ts";
import type { Principal, PrincipalType } from "../plan/plan.ts";

/** Components that keep a user's credential Inactive: each records its user's spelling. */
const CREDENTIAL_TYPES: ReadonlySet<string> = new Set([
  DisabledAccessKey.type,
  DisabledSshPublicKey.type,
  DisabledSigningCertificate.type,
  DisabledServiceSpecificCredential.type,
]);

/** One resource of the checkpoint, as the engine reads it: its type and its outputs. */
export interface StateResource {
  type?: unknown;
  outputs?: unknown;
}

export interface StateSpellings {
  /** One spelling per principal the state has: its deny's, else its credentials' (sorted). */
  principals: Principal[];
  /**
   * Principals whose deny the state holds under more than one spelling: one IAM policy in two
   * resources, which no plan can keep both of. Said; the run fails at its end so that the engine
   * deletes neither.
   */
  problems: string[];
}

/**
 * The principals of `account` whose resources the state names, with the spelling it names them
 * by. A deny's spelling comes first: its delete is the one that takes something away. Credentials
 * are kept on delete, so another spelling of them is only forgotten; the first one is kept.
 */
export function stateSpellings(account: string, resources: Readonly<Record<string, StateResource>>): StateSpellings {
  const denies = new Map<string, { principal: Principal; urns: Map<string, string> }>();
  const credentials = new Map<string, Principal>();
  for (const [urn, resource] of Object.entries(resources).sort(([a], [b]) => compareText(a, b))) {
    const outputs = (resource?.outputs ?? {}) as { principal?: { type?: unknown; name?: unknown }; user?: unknown };
    if (resource?.type === SessionRevocation.type) {
      const { type, name } = outputs.principal ?? {};
      if ((type !== "user" && type !== "role") || typeof name !== "string" || name === "") continue;
      const key = principalKey(account, type, name);
      const entry = denies.get(key) ?? { principal: { account, type: type as PrincipalType, name }, urns: new Map() };
      entry.urns.set(name, entry.urns.get(name) ?? urn);
      denies.set(key, entry);
    } else if (typeof resource?.type === "string" && CREDENTIAL_TYPES.has(resource.type)) {
      const name = outputs.user;
      if (typeof name !== "string" || name === "") continue;
      const key = principalKey(account, "user", name);
      if (!credentials.has(key)) credentials.set(key, { account, type: "user", name });
    }
  }
  const principals = new Map([...credentials, ...[...denies].map(([key, d]) => [key, d.principal] as const)]);
  const problems = [...denies.values()]
    .filter((d) => d.urns.size > 1)
    .map(({ principal, urns }) => respelledDenyProblem(principal, [...urns.values()].sort(compareText)));
  return {
    principals: [...principals.values()].sort(byKey((p) => `${p.type}/${p.name}`)),
    problems: problems.sort(compareText),
  };
}

/** The state holds one principal's deny in several resources, under several spellings. */
export function respelledDenyProblem(principal: Principal, urns: string[]): string {
  const [kept, ...others] = urns;
  return `this stack's state holds the deny policy of ${principal.type} ${principal.name} (account ${principal.account}) under ${urns.length} spellings, one IAM policy in ${urns.length} resources: cordon declares it as ${kept}, and this update fails so that the engine deletes none of them (deleting one would delete the policy); forget ${others.length === 1 ? "the other" : "the others"} without deleting ${others.length === 1 ? "it" : "them"} (${others.map((urn) => `pulumi state delete --target-dependents '${urn}'`).join("; ")}), then run again`;
}

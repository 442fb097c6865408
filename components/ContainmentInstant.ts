import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";

export interface ContainmentInstantArgs {
  /** The incident whose file says `cutoff: at-containment`. */
  incident: string;
  /**
   * The incident's key resources (its `DisabledAccessKey` components): the instant is recorded
   * after they were updated, so every session minted before the keys stopped working is older.
   * @default [] (an incident without keys records the instant of its first `pulumi up`)
   */
  after?: pulumi.Resource[];
  /**
   * The ids of the incident's keys (sorted, from the plan). When a follow-up pull request adds a
   * key, the instant is recorded again, after the new key was disabled: sessions that key minted
   * in between must be revoked too. The cutoff only ever moves later, which denies more, never less.
   * @default []
   */
  accessKeyIds?: string[];
}

/**
 * The instant at which `pulumi up` contained an incident, recorded once.
 *
 * A `time.Static` takes the current time when it is created and keeps it in the stack's state from
 * then on: later runs, previews and refreshes read the same value. Its only trigger is the
 * incident's set of keys: a new key records a new, later instant (after that key was disabled);
 * nothing else can move it, and nothing can move it earlier. Preview shows it as unknown until
 * `pulumi up` creates it.
 * @see https://registry.terraform.io/providers/hashicorp/time/latest/docs/resources/static
 */
export class ContainmentInstant extends pulumi.ComponentResource {
  static readonly type = "cordon:iam:ContainmentInstant";

  /** RFC 3339, UTC, whole seconds (`2026-11-28T10:26:13Z`). */
  readonly instant: pulumi.Output<string>;

  constructor(name: string, args: ContainmentInstantArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ContainmentInstant.type, name, {}, opts);
    const recorded = new time.Static(name, { triggers: { accessKeys: (args.accessKeyIds ?? []).join(" ") } }, { parent: this, dependsOn: args.after ?? [] });
    this.instant = recorded.rfc3339;
    this.registerOutputs({ incident: args.incident, instant: this.instant });
  }
}

/** A `time.Static` lives in the stack's state only: no AWS call at all. */
export const containmentInstantPermissions: Record<string, string[]> = {
  [ContainmentInstant.type]: [],
  "time:index/static:Static": [],
};

import * as pulumi from "@pulumi/pulumi";
import * as time from "@pulumiverse/time";
import { containmentCutoff } from "../plan/containment.ts";

export interface ContainmentInstantArgs {
  /** The incident whose file says `cutoff: at-containment`. */
  incident: string;
  /**
   * The ids of the incident's keys (sorted, from the plan). When a follow-up pull request adds a
   * key, the instant is recorded again, after the new key was disabled: sessions that key minted
   * in between must be revoked too. The cutoff only ever moves later, which denies more, never less.
   * @default []
   */
  accessKeyIds?: string[];
  /**
   * Every other access key of the incident's users that the files do not keep (sorted, from the
   * plan). A key that no earlier instant knew records it again, after that key was disabled: its
   * sessions could be later than the recorded cutoff. Left out of the triggers while there is none,
   * so an instant recorded before this trigger existed stays where it is.
   * @default []
   */
  otherAccessKeyIds?: string[];
}

/**
 * The instant at which `pulumi up` contained an incident, recorded once, by the stack that holds
 * the incident's keys; `cutoff` is that instant plus IAM's propagation margin.
 *
 * A `time.Static` takes the current time when it is created and keeps it in the stack's state from
 * then on: later runs, previews and refreshes read the same value. Its only triggers are the
 * incident's set of keys and the set of every other access key of its users that the files do not
 * keep: a new key records a new, later instant (after that key was disabled); nothing else can
 * move it, and nothing can move it earlier (a key deleted from IAM changes the second set too,
 * which moves it later once: more is denied, never less). Preview shows it as unknown until
 * `pulumi up` creates it.
 *
 * It depends on no resource: the program declares it only once every access key of the
 * incident's users that the files do not keep is Inactive in IAM (program/deploy.ts), so that a
 * key that fails under `--continue-on-error` cannot make the engine skip it, and the deny policies
 * that use it with it.
 * @see https://registry.terraform.io/providers/hashicorp/time/latest/docs/resources/static
 */
export class ContainmentInstant extends pulumi.ComponentResource {
  static readonly type = "cordon:iam:ContainmentInstant";

  /** RFC 3339, UTC, whole seconds (`2026-11-28T10:26:13Z`). */
  readonly instant: pulumi.Output<string>;
  /** The incident's cutoff: the instant plus the propagation margin (`containmentCutoff`). */
  readonly cutoff: pulumi.Output<string>;

  constructor(name: string, args: ContainmentInstantArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ContainmentInstant.type, name, {}, opts);
    const others = args.otherAccessKeyIds ?? [];
    const recorded = new time.Static(
      name,
      {
        triggers: {
          accessKeys: (args.accessKeyIds ?? []).join(" "),
          ...(others.length > 0 ? { otherAccessKeys: others.join(" ") } : {}),
        },
      },
      { parent: this },
    );
    this.instant = recorded.rfc3339;
    this.cutoff = recorded.rfc3339.apply(containmentCutoff);
    this.registerOutputs({ incident: args.incident, instant: this.instant, cutoff: this.cutoff });
  }
}

/** A `time.Static` lives in the stack's state only: no AWS call at all. */
export const containmentInstantPermissions: Record<string, string[]> = {
  [ContainmentInstant.type]: [],
  "time:index/static:Static": [],
};

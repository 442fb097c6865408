/**
 * The stand-in's imitation of the providers: one row per resource type, one entry per invoke. A
 * row says how the provider creates, reads, updates and deletes a resource of its type, and which
 * inputs force a replacement (the provider's schema: `ForceNew` in terraform-provider-aws, which
 * the bridged Pulumi provider turns into a replacement). The deployment (deployment.ts) decides
 * which of them to call, as the engine does; a row never decides.
 *
 * To model a new type, add a row to the table in rows.ts: its type token, `replaceOn` read from the
 * provider's schema (cite the file), the defaults its Check fills in, the outputs only the
 * provider knows, whether pulumi-aws replaces it delete-first or auto-names it, and the four calls
 * against moto. A type without a row fails its step with a
 * message that names it.
 */
import { IAMClient } from "@aws-sdk/client-iam";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { STSClient } from "@aws-sdk/client-sts";
import type { Properties, Value } from "./properties.ts";

/** The clouds a row calls: AWS clients from the environment (AWS_ENDPOINT_URL at moto), and a clock. */
export interface Cloud {
  iam: IAMClient;
  organizations: OrganizationsClient;
  sts: STSClient;
  now(): Date;
}

/**
 * What pulumi-aws's CheckConfig adds to an AWS provider's inputs, default or explicit, before the
 * engine hands them to anything, an analyzer included: the defaults of its provider config
 * (pulumi-aws provider/resources.go, `Config`), applied by the bridge's plugin-framework half
 * (pulumi-terraform-bridge pkg/pf/tfbridge/provider_checkconfig.go) and merged by its muxer
 * (pkg/x/muxer/muxer.go, CheckConfig); the SDKv2 half passes the inputs through. @pulumi/aws's
 * config/vars.js carries the same defaults, and a test keeps this table equal to it, so that a
 * release of pulumi-aws adding one shows here (and in what cordon's policy pack allows) first.
 */
export const AWS_CONFIG_DEFAULTS: Readonly<
  Record<string, (env: Readonly<Record<string, string | undefined>>) => Value | undefined>
> = {
  region: (env) => env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
  skipCredentialsValidation: () => false,
  skipRegionValidation: () => true,
};

/** An AWS provider's inputs after its CheckConfig: each default set where the inputs have none. */
export function awsCheckConfig(inputs: Properties, env: Readonly<Record<string, string | undefined>>): Properties {
  const checked = { ...inputs };
  for (const [key, value] of Object.entries(AWS_CONFIG_DEFAULTS)) {
    const given = value(env);
    if (checked[key] === undefined && given !== undefined) checked[key] = given;
  }
  return checked;
}

/** The clients the AWS provider would make from the environment's credentials and region. */
export function cloudFromEnvironment(): Cloud {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
  return {
    iam: new IAMClient({ region, maxAttempts: 1 }),
    organizations: new OrganizationsClient({ region, maxAttempts: 1 }),
    sts: new STSClient({ region, maxAttempts: 1 }),
    now: () => new Date(),
  };
}

/** A resource as the provider reads it: its id, the inputs that would recreate it, and every output. */
export interface ReadResult {
  id: string;
  inputs: Properties;
  outputs: Properties;
}

/** Whether the provider's Diff takes two values of one input for the same. */
export type Equivalence = (old: Value | undefined, next: Value | undefined) => boolean;

export interface ResourceRow {
  /** Inputs whose change replaces the resource (ForceNew in the provider's schema). */
  replaceOn: readonly string[];
  /**
   * Inputs whose different values the provider's Diff takes for the same: a DiffSuppressFunc, a
   * set compared without order, an Optional+Computed input the program leaves out. Every other
   * input compares as JSON (the stand-in has no Diff of the provider's).
   */
  equivalent?: Readonly<Record<string, Equivalence>>;
  /** What the provider's Check fills in when the program leaves an input out. */
  defaults?: Properties;
  /** Outputs that only the provider knows: unknown in a preview until the resource exists. */
  computed: readonly string[];
  /**
   * The provider replaces it by deleting the old one first (its Diff answers
   * `DeleteBeforeReplace`): pulumi-aws sets it on a type whose new and old resource would be the
   * same thing in AWS (provider/resources.go: the policy attachments, "a create followed by a
   * delete actually deletes the same attachment we just created").
   * @default false
   */
  deleteBeforeReplace?: boolean;
  /**
   * The bridged provider names the resource when the program does not (pulumi-aws gives every type
   * with a `name` input Pulumi's auto-naming: setAutonaming in provider/resources.go). A `name` the
   * program sets itself makes any replacement delete first, since the new resource would take the
   * same name (pulumi-terraform-bridge, nameRequiresDeleteBeforeReplace in pkg/tfbridge/schema.go).
   * @default false
   */
  autonamed?: boolean;
  create(cloud: Cloud, inputs: Properties): Promise<ReadResult>;
  /** The resource as the cloud has it, by the id and inputs in state; null when it is gone. */
  read(cloud: Cloud, id: string, inputs: Properties): Promise<ReadResult | null>;
  /**
   * `pulumi import` and the `import` option: the resource by the id the program names; null when it
   * does not exist. Rows without it cannot be imported.
   */
  import?(cloud: Cloud, id: string): Promise<ReadResult | null>;
  /** Applies the inputs that changed (none of `replaceOn`); the outputs after. */
  update(cloud: Cloud, id: string, olds: Properties, news: Properties, outputs: Properties): Promise<Properties>;
  delete(cloud: Cloud, id: string, inputs: Properties, outputs: Properties): Promise<void>;
}

/** An invoke (a data source) the provider answers. */
export type InvokeRow = (cloud: Cloud, args: Properties) => Promise<Properties>;

/** The message of an AWS SDK error as the provider words it: the error code, then AWS's message. */
export function awsMessage(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${e.message ?? String(error)}`;
}

/** True when AWS answered that the entity does not exist (IAM's NoSuchEntity). */
export function isNoSuchEntity(error: unknown): boolean {
  return (
    (error as { name?: string })?.name === "NoSuchEntityException" ||
    (error as { name?: string })?.name === "NoSuchEntity"
  );
}

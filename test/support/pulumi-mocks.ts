/**
 * Runs a Pulumi program in-process under `pulumi.runtime.setMocks`, the way the CLI runs it (inside
 * a `pulumi:pulumi:Stack` root resource), and records what it declared: every resource with its
 * inputs and options, every invoke, the stack outputs or the error, the info logs.
 *
 * A `FakeCloud` plays the engine's state and the AWS account across runs: it answers the invokes
 * (caller identity, access keys by user) and the program's own IAM reads (`iam`) from tables, and
 * keeps the recorded instant of each `time.Static` by URN, as Pulumi's state does, so a second run
 * sees the instant the first one recorded. A `MotoCloud` answers the invokes from moto's real IAM
 * state instead, through the AWS SDK, while the program's own reads go to the same moto through
 * `AWS_ENDPOINT_URL` (`useMotoEnv`).
 *
 * Pulumi's runtime is global to the process: one run at a time (vitest runs the tests of a file
 * one after another), each starting with `setMocks` and ending with `disconnect`, which waits for
 * every outstanding registration.
 */
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { IAMClient, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import * as pulumi from "@pulumi/pulumi";
import type { ListedCredential } from "../../plan/credentials.ts";
import { projectRelative } from "./project-dir.ts";
export { projectTempDir } from "./project-dir.ts";
import type { DeployIam, IamQuotas, RoleState } from "../../program/iam.ts";
import type { AttachedPolicy, DeployOrganizations } from "../../program/organization.ts";
import { timeStaticState } from "../../emulators/engine/rows.ts";

export const PROJECT = "cordon";

/** The stack a run is named after: the account's own, `prod-<account>`, as the program requires. */
function stackOf(config: Record<string, string>): string {
  return `${config["cordon:stackPrefix"] ?? "prod"}-${config["cordon:account"]}`;
}

const STATIC = "time:index/static:Static";

export interface RecordedResource {
  urn: string;
  /** Its place in the order the program registered resources (0 first). */
  sequence: number;
  type: string;
  name: string;
  /** The parent's URN ("" for the stack itself). */
  parent: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  /** The `import` option: the id of the existing resource Pulumi takes under management. */
  importId?: string;
  retainOnDelete: boolean;
  ignoreChanges: string[];
  /** URNs of the resources it waits for (`dependsOn` and inputs). */
  dependencies: string[];
  /** The explicit provider it was given (`<provider URN>::<id>`), "" for the default one. */
  provider: string;
  /** The `version` option: the package's version, which its SDK sets. */
  version?: string;
  /** What a component passed to `registerOutputs`, resolved. */
  registeredOutputs?: Record<string, unknown>;
}

export interface RecordedCall {
  token: string;
  inputs: Record<string, unknown>;
}

export interface ProgramRun {
  /** In URN order. */
  resources: RecordedResource[];
  calls: RecordedCall[];
  /** The stack outputs, resolved; undefined when the program failed. */
  outputs?: Record<string, unknown>;
  error?: Error;
  /** Messages of `pulumi.log.info`. */
  infos: string[];
  /** Messages of `pulumi.log.warn`. */
  warnings: string[];
  /** Messages of `pulumi.log.error`. */
  errors: string[];
  /** The exit code the program set (`process.exitCode`), as the Node.js process would end with it; undefined when none. */
  exitCode?: number;
}

/** The AWS account behind the deploying credentials, and the engine's state, across runs. */
export class FakeCloud {
  /** The account the deploying credentials belong to. */
  account: string;
  /** IAM users and the ids of their access keys, as IAM's ListAccessKeys answers (a user not here does not exist). */
  accessKeys: Record<string, string[]>;
  /** The clock the time provider reads when a `time.Static` is created. */
  now: Date;
  /** IAM roles by name, as the program's own reads find them; a role not here does not exist. */
  roles: Record<string, RoleState>;
  /** Managed policies attached to each user; a user not here exists, with none attached. */
  userPolicies: Record<string, string[]>;
  /** Inline policies of each user (name → document text); a user not here has none. */
  userInlinePolicies: Record<string, Record<string, string>> = {};
  quotas: IamQuotas = {
    attachedPoliciesPerUser: 10,
    attachedPoliciesPerRole: 10,
    rolePolicySize: 10240,
    userPolicySize: 2048,
  };
  /**
   * The organization as the organization stack's reads find it: its management account, its root
   * with the policy types enabled there, and the policies attached to each target by type (every
   * target carries FullAWSAccess and RCPFullAWSAccess, as Organizations attaches them).
   */
  organization = {
    managementAccount: "999999999999",
    roots: [
      {
        id: "r-abcd",
        policyTypes: [
          { type: "SERVICE_CONTROL_POLICY", status: "ENABLED" },
          { type: "RESOURCE_CONTROL_POLICY", status: "ENABLED" },
        ],
      },
    ],
    attached: {
      "r-abcd": {
        SERVICE_CONTROL_POLICY: [{ id: "p-FullAWSAccess", name: "FullAWSAccess", awsManaged: true }],
        RESOURCE_CONTROL_POLICY: [{ id: "p-RCPFullAWSAccess", name: "RCPFullAWSAccess", awsManaged: true }],
      },
    } as Record<string, Record<string, AttachedPolicy[]>>,
  };
  /** Outputs kept in the stack's state, by URN (only providers that keep a value need it). */
  readonly state = new Map<string, Record<string, unknown>>();
  /** Each key's status in IAM: Active until an AccessKey resource sets it (a key deleted by hand: absent from `accessKeys`). */
  readonly keyStatus = new Map<string, string>();
  /**
   * Other stacks' outputs, by stack name, as the engine reads them for `pulumi:pulumi:readStackOutputs`;
   * a stack not here does not exist.
   */
  otherStacks: Record<string, unknown> = {};
  /**
   * The resources of the stacks' last checkpoints, by stack name, then URN, as the engine reads them
   * for `pulumi:pulumi:readStackResourceOutputs`.
   */
  stackResources: Record<string, Record<string, { type: string; outputs: Record<string, unknown> }>> = {};
  /** Customer managed policies IAM has, by ARN, with their ids (none by default). */
  readonly managedPolicies = new Map<string, { policyId: string }>();
  /** The program's own IAM reads through `iam`, in order: `method argument`. */
  readonly reads: string[] = [];
  /** A user's credentials besides its access keys (SSH public keys, signing certificates, service-specific credentials), as IAM lists them. */
  otherCredentials: Record<string, ListedCredential[]> = {};
  /** Users with a console password. */
  readonly loginProfiles = new Set<string>();
  /** MFA devices by user, as IAM lists them. */
  mfaDevices: Record<string, { serial: string; enabledAt: string | null }[]> = {};
  /** What the program did itself (deleteLoginProfile, deactivateMfaDevice), in order. */
  readonly acts: string[] = [];

  constructor(options: { account: string; accessKeys?: Record<string, string[]>; now?: Date; roles?: string[] }) {
    this.account = options.account;
    this.accessKeys = options.accessKeys ?? {};
    this.now = options.now ?? new Date("2026-11-28T12:00:00Z");
    this.roles = Object.fromEntries(
      (options.roles ?? []).map((name) => [
        name,
        { name, path: "/", tags: {}, inlinePolicies: {}, attachedPolicies: [] },
      ]),
    );
    this.userPolicies = {};
  }

  /** The program's own IAM reads, answered from the tables (aws/deploy.ts answers them from IAM). */
  get iam(): DeployIam {
    return {
      account: async () => this.account,
      accessKeys: async (user) => {
        this.reads.push(`accessKeys ${user}`);
        return Object.hasOwn(this.accessKeys, user)
          ? this.accessKeys[user].map((accessKeyId) => ({
              accessKeyId,
              status: this.keyStatus.get(accessKeyId) ?? "Active",
            }))
          : null;
      },
      keyOwner: async (id) => Object.entries(this.accessKeys).find(([, keys]) => keys.includes(id))?.[0] ?? null,
      // A user of the table has an id made of its name; none was ever renamed.
      userId: async (user) =>
        Object.hasOwn(this.accessKeys, user) ? `AIDA${user.toUpperCase().replace(/[^A-Z0-9]/g, "")}` : null,
      userNamed: async () => null,
      role: async (name) =>
        Object.values(this.roles).find((role) => role.name.toLowerCase() === name.toLowerCase()) ?? null,
      userAttachedPolicies: async (name) => this.userPolicies[name] ?? [],
      userInlinePolicies: async (name) => this.userInlinePolicies[name] ?? {},
      quotas: async () => this.quotas,
      managedPolicy: async (arn) => {
        this.reads.push(`managedPolicy ${arn}`);
        return this.managedPolicies.get(arn) ?? null;
      },
      // A user exists when the table lists its keys (none, or some), as `accessKeys` answers.
      listUser: async (account, user) => {
        this.reads.push(`listUser ${user}`);
        const exists = Object.hasOwn(this.accessKeys, user);
        const keys = exists
          ? this.accessKeys[user].map(
              (id): ListedCredential => ({
                kind: "access-key",
                id,
                status: this.keyStatus.get(id) ?? "Active",
                createdAt: null,
              }),
            )
          : [];
        return {
          account,
          user,
          exists,
          credentials: exists ? [...keys, ...(this.otherCredentials[user] ?? [])] : [],
          loginProfile: exists && this.loginProfiles.has(user) ? { createdAt: null } : null,
          mfaDevices: exists ? (this.mfaDevices[user] ?? []) : [],
          attachedPolicies: (this.userPolicies[user] ?? []).map((arn) => arn.split("/").pop() ?? arn),
        };
      },
      deleteLoginProfile: async (user) => {
        this.acts.push(`deleteLoginProfile ${user}`);
        return this.loginProfiles.delete(user) ? "deleted" : "absent";
      },
      deactivateMfaDevice: async (user, serial) => {
        this.acts.push(`deactivateMfaDevice ${user} ${serial}`);
        const devices = this.mfaDevices[user] ?? [];
        if (!devices.some((d) => d.serial === serial)) return "absent";
        this.mfaDevices[user] = devices.filter((d) => d.serial !== serial);
        return "deactivated";
      },
    };
  }

  /** The organization stack's reads, answered from `organization` (aws/organizations.ts answers them from Organizations). */
  get organizations(): DeployOrganizations {
    return {
      managementAccount: async () => this.organization.managementAccount,
      roots: async () => this.organization.roots,
      policiesForTarget: async (target, type) =>
        Object.hasOwn(this.organization.attached, target) ? (this.organization.attached[target][type] ?? []) : null,
    };
  }

  call(token: string, inputs: Record<string, unknown>): Record<string, unknown> | Promise<Record<string, unknown>> {
    switch (token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return {
          accountId: this.account,
          arn: `arn:aws:sts::${this.account}:assumed-role/deployer/cordon`,
          userId: "AROAEXAMPLEDEPLOYER:cordon",
          id: this.account,
        };
      case "pulumi:pulumi:readStackOutputs": {
        // The engine's own reader of another stack's outputs (builtins.go): `org/project/stack`.
        const name = String(inputs.name);
        const stack = name.split("/").pop()!;
        // The stack being updated exists (backend.go, GetStackOutputs): never updated, it has no outputs.
        if (!Object.hasOwn(this.otherStacks, stack) && stack === pulumi.getStack())
          return { name, outputs: {}, secretOutputNames: [] };
        if (!Object.hasOwn(this.otherStacks, stack)) throw new Error(`unknown stack "${name}"`);
        return { name, outputs: this.otherStacks[stack], secretOutputNames: [] };
      }
      case "pulumi:pulumi:readStackResourceOutputs": {
        const name = String(inputs.stackName);
        const stack = name.split("/").pop()!;
        if (!Object.hasOwn(this.stackResources, stack)) throw new Error(`unknown stack "${name}"`);
        return { name, outputs: this.stackResources[stack] };
      }
      default:
        throw new Error(`FakeCloud: no answer for invoke ${token}`);
    }
  }

  newResource(
    urn: string,
    args: pulumi.runtime.MockResourceArgs,
  ):
    | { id: string | undefined; state: Record<string, unknown> }
    | Promise<{ id: string | undefined; state: Record<string, unknown> }> {
    const inputs = args.inputs as Record<string, unknown>;
    if (!args.custom) return { id: undefined, state: {} };
    switch (args.type) {
      case "aws:iam/accessKey:AccessKey":
        if (args.id && typeof inputs.status === "string") this.keyStatus.set(args.id, inputs.status);
        return { id: args.id || `${args.name}-id`, state: inputs };
      case STATIC: {
        // Created once, then read back from the state: what makes the instant stable. A change
        // of `triggers` replaces the resource (the provider's documented behaviour): a new instant.
        const previous = this.state.get(urn);
        const triggers = JSON.stringify(inputs.triggers ?? {});
        const kept =
          previous && previous.triggersKey === triggers
            ? previous
            : { ...staticState(this.now), triggersKey: triggers };
        this.state.set(urn, kept);
        const { triggersKey: _, ...outputs } = kept;
        return { id: String(kept.rfc3339), state: { ...inputs, ...outputs } };
      }
      case "aws:iam/policy:Policy": {
        const arn = `arn:aws:iam::${this.account}:policy${inputs.path ?? "/"}${inputs.name}`;
        return { id: arn, state: { ...inputs, arn } };
      }
      case "aws:iam/role:Role":
        return {
          id: String(inputs.name),
          state: { ...inputs, arn: `arn:aws:iam::${this.account}:role${inputs.path ?? "/"}${inputs.name}` },
        };
      // EventBridge's ARNs (auto-contain's resources live in us-east-1); an API destination's and a
      // connection's end with an id EventBridge makes up, as does the connection's secret.
      case "aws:cloudwatch/eventRule:EventRule":
        return {
          id: String(inputs.name),
          state: { ...inputs, arn: `arn:aws:events:us-east-1:${this.account}:rule/${inputs.name}` },
        };
      case "aws:cloudwatch/eventConnection:EventConnection":
        return {
          id: String(inputs.name),
          state: {
            ...inputs,
            arn: `arn:aws:events:us-east-1:${this.account}:connection/${inputs.name}/0f3e0d7c-0000-4000-8000-000000000001`,
            secretArn: `arn:aws:secretsmanager:us-east-1:${this.account}:secret:events!connection/${inputs.name}/0f3e0d7c-0000-4000-8000-000000000001-AbCdEf`,
          },
        };
      case "aws:cloudwatch/eventApiDestination:EventApiDestination":
        return {
          id: String(inputs.name),
          state: {
            ...inputs,
            arn: `arn:aws:events:us-east-1:${this.account}:api-destination/${inputs.name}/0f3e0d7c-0000-4000-8000-000000000002`,
          },
        };
      // SQS names a queue by its URL (the provider's id), IAM by its ARN.
      case "aws:sqs/queue:Queue":
        return {
          id: `https://sqs.us-east-1.amazonaws.com/${this.account}/${inputs.name}`,
          state: {
            ...inputs,
            arn: `arn:aws:sqs:us-east-1:${this.account}:${inputs.name}`,
            url: `https://sqs.us-east-1.amazonaws.com/${this.account}/${inputs.name}`,
          },
        };
      case "aws:organizations/policy:Policy":
        return { id: `p-${String(inputs.name).replace(/^cordon-/, "")}`, state: { ...inputs } };
      default:
        return { id: args.id || `${args.name}-id`, state: inputs };
    }
  }
}

/**
 * The invokes answered from moto's IAM and STS, through the AWS SDK, as the provider would answer
 * them from AWS: the tests seed moto with the SDK and the program sees exactly that state.
 */
export class MotoCloud extends FakeCloud {
  private readonly stsClient: STSClient;
  private readonly iamClient: IAMClient;

  /** `env`: moto's endpoint, region and dummy credentials (`Moto.env`). */
  constructor(env: Record<string, string>, options: { account?: string; now?: Date } = {}) {
    super({ account: options.account ?? "123456789012", now: options.now });
    const config = {
      endpoint: env.AWS_ENDPOINT_URL,
      region: env.AWS_REGION,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    };
    this.stsClient = new STSClient(config);
    this.iamClient = new IAMClient(config);
  }

  /**
   * A key's status is applied to moto, as the provider's update would: the program reads the keys
   * back from IAM once their steps are done, before it records an instant.
   */
  override async newResource(
    urn: string,
    args: pulumi.runtime.MockResourceArgs,
  ): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
    const inputs = args.inputs as Record<string, unknown>;
    if (
      args.type === "aws:iam/accessKey:AccessKey" &&
      args.id &&
      (inputs.status === "Active" || inputs.status === "Inactive")
    ) {
      await this.iamClient.send(
        new UpdateAccessKeyCommand({ AccessKeyId: args.id, UserName: String(inputs.user), Status: inputs.status }),
      );
    }
    return super.newResource(urn, args);
  }

  override async call(token: string, inputs: Record<string, unknown>): Promise<Record<string, unknown>> {
    switch (token) {
      case "aws:index/getCallerIdentity:getCallerIdentity": {
        const identity = await this.stsClient.send(new GetCallerIdentityCommand({}));
        return { accountId: identity.Account, arn: identity.Arn, userId: identity.UserId, id: identity.Account };
      }
      default:
        return super.call(token, inputs);
    }
  }
}

function staticState(now: Date): Record<string, unknown> {
  return timeStaticState(new Date(Math.floor(now.getTime() / 1000) * 1000));
}

/** The slice of the SDK's MockMonitor and of RegisterResourceRequest that the recorder reads. */
interface Monitor {
  mocks: pulumi.runtime.Mocks;
  registerResource(
    req: RegisterRequest,
    callback: (error: unknown, response?: { getUrn(): string }) => void,
  ): Promise<void>;
  registerResourceOutputs(req: RegisterOutputsRequest, callback: (error: unknown, response?: unknown) => void): void;
}
interface RegisterOutputsRequest {
  getUrn(): string;
  getOutputs(): Parameters<typeof pulumi.runtime.deserializeProperties>[0] | undefined;
}
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
  getImportid(): string;
  getRetainondelete(): boolean;
  getIgnorechangesList(): string[];
  getDependenciesList(): string[];
  getProvider(): string;
  getVersion(): string;
}

/**
 * The URN the SDK's mock monitor gives: `urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>`.
 * Checked against the monitor's answer for every resource.
 */
function mockUrn(stack: string, parent: string, type: string, name: string): string {
  const qualified = parent ? `${parent.split("::")[2].split("$").pop()}$${type}` : type;
  return `urn:pulumi:${stack}::${PROJECT}::${qualified}::${name}`;
}

/**
 * Runs `program` as `pulumi up` would (preview false), against `cloud`, with `config` (`cordon:key`
 * → value), in the stack `stack` (default: the account's own, `prod-<account>`).
 */
export async function runProgram(
  program: () => Promise<unknown>,
  options: { cloud: FakeCloud; config: Record<string, string>; stack?: string },
): Promise<ProgramRun> {
  const { cloud } = options;
  const stack = options.stack ?? stackOf(options.config);
  const resources: RecordedResource[] = [];
  const calls: RecordedCall[] = [];
  const infos: string[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];

  await pulumi.runtime.setMocks(
    {
      call: async ({ token, inputs }) => {
        calls.push({ token, inputs });
        try {
          return await cloud.call(token, inputs);
        } catch (error) {
          // The engine answers a failed invoke with a gRPC error whose `details` the SDK shows.
          throw Object.assign(error as Error, { details: (error as Error).message });
        }
      },
      newResource: () => {
        throw new Error("unreachable: registrations go through the recorder");
      },
    },
    PROJECT,
    stack,
    false,
    "organization",
  );
  pulumi.runtime.setAllConfig(projectRelative(options.config), []);

  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const register = monitor.registerResource;
  monitor.registerResource = (req, callback) => {
    const type = req.getType();
    const name = req.getName();
    const parent = req.getParent();
    const urn = mockUrn(stack, parent, type, name);
    if (resources.some((r) => r.urn === urn)) {
      // The engine refuses a second resource with the same URN; the mock monitor would overwrite it.
      callback(new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`));
      return Promise.resolve();
    }
    resources.push({
      urn,
      sequence: resources.length,
      type,
      name,
      parent,
      custom: req.getCustom(),
      inputs: pulumi.runtime.deserializeProperties(req.getObject()) as Record<string, unknown>,
      importId: req.getImportid() || undefined,
      retainOnDelete: req.getRetainondelete(),
      ignoreChanges: req.getIgnorechangesList(),
      dependencies: req.getDependenciesList(),
      provider: req.getProvider(),
      version: req.getVersion() || undefined,
    });
    // The monitor's own code, with mocks that know the URN (a Static's state is kept by URN).
    const scoped = Object.create(monitor, {
      mocks: {
        value: {
          ...monitor.mocks,
          newResource: (args: pulumi.runtime.MockResourceArgs) => cloud.newResource(urn, args),
        },
      },
    });
    return register.call(scoped, req, (error, response) => {
      if (!error && response && response.getUrn() !== urn)
        error = new Error(`pulumi-mocks: expected URN ${urn}, the mock monitor gave ${response.getUrn()}`);
      callback(error, response);
    });
  };

  const registerOutputs = monitor.registerResourceOutputs;
  monitor.registerResourceOutputs = (req, callback) => {
    const recorded = resources.find((r) => r.urn === req.getUrn());
    const outputs = req.getOutputs();
    if (recorded && outputs)
      recorded.registeredOutputs = pulumi.runtime.deserializeProperties(outputs) as Record<string, unknown>;
    registerOutputs.call(monitor, req, callback);
  };

  const log = console.log;
  console.log = (...args: unknown[]) => {
    const text = args.map(String).join(" ");
    if (text.startsWith("info: [runtime] ")) infos.push(text.slice("info: [runtime] ".length));
    else log(...args);
  };
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = args.map(String).join(" ");
    if (text.startsWith("warning: [runtime] ")) warnings.push(text.slice("warning: [runtime] ".length));
    else warn(...args);
  };
  const logError = console.error;
  console.error = (...args: unknown[]) => {
    const text = args.map(String).join(" ");
    if (text.startsWith("error: [runtime] ")) errors.push(text.slice("error: [runtime] ".length));
    else logError(...args);
  };
  // A failing program rejects several promises inside the SDK (the stack's data and the outputs
  // derived from it). The CLI reports the error once and ignores its echoes (cmd/run/run.js,
  // isErrorReported); the recorder does the same, and lets any other rejection fail the run.
  const listeners = process.listeners("unhandledRejection");
  process.removeAllListeners("unhandledRejection");
  const unexpected: unknown[] = [];
  let error: Error | undefined;
  process.on("unhandledRejection", (reason) => {
    if (reason !== error) unexpected.push(reason);
  });
  let outputs: Record<string, unknown> | undefined;
  // The exit code the program sets is its process's: recorded, and the test worker's own restored.
  const workerExitCode = process.exitCode;
  process.exitCode = undefined;
  let exitCode: number | undefined;
  try {
    outputs = (await pulumi.runtime.runInPulumiStack(program)) as Record<string, unknown> | undefined;
  } catch (caught) {
    error = caught as Error;
  } finally {
    await pulumi.runtime.disconnect();
    // Node reports unhandled rejections once the current tick's promise jobs have run: by the
    // time an immediate runs, every echo of the error has been seen.
    await new Promise((resolve) => setImmediate(resolve));
    process.removeAllListeners("unhandledRejection");
    for (const listener of listeners) process.on("unhandledRejection", listener);
    console.log = log;
    console.warn = warn;
    console.error = logError;
    exitCode = process.exitCode === undefined ? undefined : Number(process.exitCode);
    process.exitCode = workerExitCode;
  }
  if (unexpected.length > 0)
    throw new AggregateError(unexpected, "the program left unhandled rejections besides its error");
  resources.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { resources, calls, outputs, error, infos, warnings, errors, exitCode };
}

/** The resources of a run without the stack itself, as `type name` lines: quick to compare. */
export function declared(run: ProgramRun): string[] {
  return run.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => `${r.type} ${r.name}`);
}

/** The one resource of `type` named `name`; fails when there is none. */
export function resource(run: ProgramRun, type: string, name: string): RecordedResource {
  const found = run.resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name} among:\n${declared(run).join("\n")}`);
  return found;
}

/** The account of examples/incidents. */
export const EXAMPLE_ACCOUNT = "123456789012";
/** The users of examples/incidents in that account and their keys, as IAM must list them for the examples to deploy. */
export const EXAMPLE_KEYS: Readonly<Record<string, string[]>> = {
  "ci-deployer": ["AKIAIOSFODNN7EXAMPLE"],
  dana: ["AKIAJ7Q2EXAMPLEKEY77"],
  "svc-backup": ["AKIAI44QH8DHBEXAMPLE"],
};
/** The roles examples/incidents revokes in that account. */
export const EXAMPLE_ROLES: readonly string[] = ["analytics-readonly", "deploy"];

/**
 * That account's IAM as the examples expect it: every key belongs to the user the files name, the
 * roles to revoke exist, the replacement roles do not yet; plus what a test adds.
 */
export function exampleCloud(
  options: { accessKeys?: Record<string, string[]>; roles?: string[]; now?: Date } = {},
): FakeCloud {
  return new FakeCloud({
    account: EXAMPLE_ACCOUNT,
    accessKeys: { ...EXAMPLE_KEYS, ...options.accessKeys },
    roles: [...EXAMPLE_ROLES, ...(options.roles ?? [])],
    ...(options.now ? { now: options.now } : {}),
  });
}

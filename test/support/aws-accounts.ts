/**
 * Accounts in moto, seeded as a responder's would be: IAM users, keys, roles and policies in any
 * account (moto keeps one IAM per account: `x-moto-account-id` picks it while seeding, and an
 * access key created there belongs to it from then on), deployer credentials of an account, and
 * the policies moto holds for a principal, for an evaluator to judge.
 */
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateOrganizationCommand,
  DescribePolicyCommand,
  EnablePolicyTypeCommand,
  ListPoliciesForTargetCommand,
  ListRootsCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import type { PolicyDocument } from "../../plan/policies.ts";
import type { Moto } from "./moto.ts";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
/** What a busy principal is allowed: everything (cordon's deny must win over it). */
export const ALLOW_ALL: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
};

/** An AWS SDK client against moto, in `account` (moto's default one when not given). */
function inAccount<T extends IAMClient | OrganizationsClient>(client: T, account?: string): T {
  if (account !== undefined) {
    client.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers["x-moto-account-id"] = account;
        return next(args);
      },
      { step: "build", name: "motoAccount" },
    );
  }
  return client;
}

export class Account {
  readonly iam: IAMClient;
  readonly organizations: OrganizationsClient;
  /** The account's id; moto's default account when not given. */
  readonly id: string | undefined;

  constructor(moto: Moto, id?: string) {
    this.id = id;
    const config = {
      endpoint: moto.endpoint,
      region: moto.env.AWS_REGION,
      credentials: { accessKeyId: moto.env.AWS_ACCESS_KEY_ID, secretAccessKey: moto.env.AWS_SECRET_ACCESS_KEY },
    };
    this.iam = inAccount(new IAMClient(config), id);
    this.organizations = inAccount(new OrganizationsClient(config), id);
  }

  /** A user, with a key when asked (its id); allowed everything, as a busy user would be. */
  async user(name: string, options: { key?: boolean } = {}): Promise<string | undefined> {
    await this.iam.send(new CreateUserCommand({ UserName: name }));
    await this.iam.send(
      new PutUserPolicyCommand({ UserName: name, PolicyName: "work", PolicyDocument: JSON.stringify(ALLOW_ALL) }),
    );
    if (!options.key) return undefined;
    return (await this.iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!.AccessKeyId!;
  }

  async role(name: string): Promise<void> {
    await this.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  }

  /** A deployer user of this account, allowed `policy` (everything by default), and its key: runs in this account use it. */
  async deployer(policy: PolicyDocument = ALLOW_ALL): Promise<Credentials> {
    await this.iam.send(new CreateUserCommand({ UserName: "cordon-deployer" }));
    const arn = (
      await this.iam.send(
        new CreatePolicyCommand({ PolicyName: "cordon-deploy", PolicyDocument: JSON.stringify(policy) }),
      )
    ).Policy!.Arn!;
    await this.iam.send(new AttachUserPolicyCommand({ UserName: "cordon-deployer", PolicyArn: arn }));
    const key = (await this.iam.send(new CreateAccessKeyCommand({ UserName: "cordon-deployer" }))).AccessKey!;
    return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  }

  /** This account as the management account of an organization with service control policies on: the root's id. */
  async organizationWithScps(): Promise<string> {
    await this.organizations.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    const root = (await this.organizations.send(new ListRootsCommand({}))).Roots![0].Id!;
    try {
      await this.organizations.send(
        new EnablePolicyTypeCommand({ RootId: root, PolicyType: "SERVICE_CONTROL_POLICY" }),
      );
    } catch (error) {
      if ((error as Error).name !== "PolicyTypeAlreadyEnabledException") throw error;
    }
    return root;
  }

  /** The documents of cordon's service control policies (named `cordon-...`) attached to a target. */
  async cordonScps(target: string): Promise<PolicyDocument[]> {
    const attached =
      (
        await this.organizations.send(
          new ListPoliciesForTargetCommand({ TargetId: target, Filter: "SERVICE_CONTROL_POLICY" }),
        )
      ).Policies ?? [];
    return Promise.all(
      attached
        .filter((p) => p.Name?.startsWith("cordon-"))
        .map(
          async (p) =>
            JSON.parse(
              (await this.organizations.send(new DescribePolicyCommand({ PolicyId: p.Id }))).Policy!.Content!,
            ) as PolicyDocument,
        ),
    );
  }

  /** Every identity policy moto holds for a user or role: inline ones, and the default version of each attached one. */
  async policiesOf(type: "user" | "role", name: string): Promise<PolicyDocument[]> {
    const parse = (text: string | undefined) => JSON.parse(decodeURIComponent(text ?? "")) as PolicyDocument;
    const documents: PolicyDocument[] = [];
    if (type === "user") {
      for (const policyName of (await this.iam.send(new ListUserPoliciesCommand({ UserName: name }))).PolicyNames ??
        []) {
        documents.push(
          parse(
            (await this.iam.send(new GetUserPolicyCommand({ UserName: name, PolicyName: policyName }))).PolicyDocument,
          ),
        );
      }
    } else {
      for (const policyName of (await this.iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ??
        []) {
        documents.push(
          parse(
            (await this.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }))).PolicyDocument,
          ),
        );
      }
    }
    const attached =
      type === "user"
        ? (await this.iam.send(new ListAttachedUserPoliciesCommand({ UserName: name }))).AttachedPolicies
        : (await this.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies;
    for (const { PolicyArn } of attached ?? []) {
      const policy = (await this.iam.send(new GetPolicyCommand({ PolicyArn }))).Policy!;
      documents.push(
        parse(
          (await this.iam.send(new GetPolicyVersionCommand({ PolicyArn, VersionId: policy.DefaultVersionId })))
            .PolicyVersion?.Document,
        ),
      );
    }
    return documents;
  }
}

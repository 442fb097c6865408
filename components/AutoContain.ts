import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AutoContainPlan } from "../plan/auto-contain.ts";
import { declaration } from "./provider-calls.ts";

export interface AutoContainArgs {
  /** `autoContainPlan(...)`: the event pattern, the dispatch, the names and the role's policies. */
  plan: AutoContainPlan;
}

/**
 * No human on the path: AWS Health's exposed-key event dispatches the contain workflow. An
 * EventBridge rule in us-east-1 (where IAM's Health events arrive) sends the key id, through an
 * input transformer, to an API destination that posts GitHub's `repository_dispatch`, with a role
 * EventBridge assumes to invoke it. What GitHub does not take goes to an SQS dead-letter queue,
 * which only that rule may write to (`cordon doctor --aws` counts what waits there).
 *
 * The GitHub token never passes through Pulumi. A connection cannot reference an existing secret
 * (EventBridge creates its own in Secrets Manager from the value it is given), so the connection is
 * created with a placeholder, and its auth parameters, type and description are ignored from then
 * on: Pulumi never updates it in place, since an update would send the placeholder again over the
 * token that `aws events update-connection` set (docs/contain.md). State and config hold only the
 * placeholder.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html
 */
export class AutoContain extends pulumi.ComponentResource {
  static readonly type = "cordon:events:AutoContain";

  constructor(name: string, args: AutoContainArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AutoContain.type, name, {}, opts);
    const plan = args.plan;
    // Explicit, whatever the stack's region: the events of global services arrive in us-east-1.
    const provider = new aws.Provider(`${name}-${plan.region}`, { region: plan.region }, { parent: this });
    const on = { parent: this, provider };

    const rule = new aws.cloudwatch.EventRule(
      name,
      {
        name: plan.ruleName,
        description: "AWS Health: an access key exposed or compromised -> the contain workflow (cordon)",
        eventPattern: JSON.stringify(plan.eventPattern),
      },
      on,
    );
    const connection = new aws.cloudwatch.EventConnection(
      name,
      {
        name: plan.connectionName,
        description:
          "GitHub REST API for the contain workflow (cordon); the token is set with aws events update-connection",
        authorizationType: "API_KEY",
        authParameters: { apiKey: { key: plan.apiKeyName, value: plan.apiKeyPlaceholder } },
      },
      { ...on, ignoreChanges: ["authParameters", "authorizationType", "description"] },
    );
    const destination = new aws.cloudwatch.EventApiDestination(
      name,
      {
        name: plan.destinationName,
        connectionArn: connection.arn,
        invocationEndpoint: plan.endpoint,
        httpMethod: plan.httpMethod,
        invocationRateLimitPerSecond: plan.invocationRateLimitPerSecond,
      },
      on,
    );
    const role = new aws.iam.Role(
      name,
      {
        name: plan.roleName,
        path: plan.rolePath,
        description: "EventBridge invokes the contain workflow's API destination (cordon)",
        assumeRolePolicy: JSON.stringify(plan.trustPolicy),
      },
      on,
    );
    const invoke = new aws.iam.RolePolicy(
      `${name}-${plan.invokePolicyName}`,
      { role: role.name, name: plan.invokePolicyName, policy: JSON.stringify(plan.invokePolicy) },
      on,
    );
    const deadLetter = new aws.sqs.Queue(
      name,
      {
        name: plan.deadLetterQueueName,
        messageRetentionSeconds: plan.deadLetterRetentionSeconds,
        sqsManagedSseEnabled: true,
      },
      on,
    );
    const deadLetterPolicy = new aws.sqs.QueuePolicy(
      name,
      { queueUrl: deadLetter.url, policy: JSON.stringify(plan.deadLetterQueuePolicy) },
      on,
    );
    new aws.cloudwatch.EventTarget(
      name,
      {
        rule: rule.name,
        targetId: plan.targetId,
        arn: destination.arn,
        roleArn: role.arn,
        inputTransformer: { inputPaths: plan.inputPaths, inputTemplate: plan.inputTemplate },
        httpTarget: { headerParameters: plan.headers },
        retryPolicy: plan.retryPolicy,
        deadLetterConfig: { arn: deadLetter.arn },
      },
      // The role may invoke the destination, and EventBridge send to the queue, before EventBridge
      // is told to use them.
      { ...on, dependsOn: [invoke, deadLetterPolicy] },
    );
    this.registerOutputs({
      rule: rule.arn,
      destination: destination.arn,
      connection: connection.name,
      secret: connection.secretArn,
      deadLetterQueue: deadLetter.url,
    });
  }
}

/**
 * What auto-contain needs, create to delete. The deployer never reads the connection's secret (no
 * GetSecretValue), nor a message of the queue (no ReceiveMessage). The role is deleted when
 * auto-contain is turned off: iam:DeleteRole, which the deploy policy grants under its path only,
 * where no replacement role lives. It keeps the default session duration; it and the queue carry
 * no tags.
 */
export const autoContainPermissions: Record<string, string[]> = declaration(AutoContain.type, {
  "pulumi:providers:aws": ["configure"],
  "aws:cloudwatch/eventRule:EventRule": ["create", "read", "update", "delete"],
  "aws:cloudwatch/eventTarget:EventTarget": ["create", "read", "update", "delete"],
  "aws:cloudwatch/eventConnection:EventConnection": ["create", "read", "update", "delete", "secret"],
  "aws:cloudwatch/eventApiDestination:EventApiDestination": ["create", "read", "update", "delete"],
  "aws:iam/role:Role": ["create", "read", "update", "delete"],
  "aws:iam/rolePolicy:RolePolicy": ["create", "read", "update", "delete"],
  "aws:sqs/queue:Queue": ["create", "read", "update", "delete"],
  "aws:sqs/queuePolicy:QueuePolicy": ["create", "read", "update", "delete"],
});

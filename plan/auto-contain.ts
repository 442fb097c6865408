/**
 * Auto-contain, decided: which AWS events dispatch the contain workflow, what the dispatch carries,
 * and the names and policies of what carries it. Pure: the account and the repository in, the
 * plan out; `components/AutoContain.ts` maps it onto EventBridge and IAM resources.
 *
 * The path: AWS Health raises an event when it finds an exposed key; an EventBridge rule matches
 * it, an input transformer keeps the key id, and an API destination posts a `repository_dispatch`
 * to GitHub, whose token lives only in the connection's Secrets Manager secret; the contain
 * workflow takes it from there. An event GitHub does not take (refused, or still throttled when
 * the retries run out) goes to a dead-letter queue, never nowhere. @see docs/contain.md
 */
import type { PolicyDocument } from "./policies.ts";

/**
 * AWS Health sends the events of global services, IAM's among them, to us-east-1 (its primary
 * region for global events; us-west-2 is the backup): the rule lives there whatever the stack's
 * region, and so do the connection and the destination, which a target must share with its rule.
 * @see https://docs.aws.amazon.com/health/latest/ug/choosing-a-region.html
 */
export const AUTO_CONTAIN_REGION = "us-east-1";

/** Every name starts so: the deploy policy grants the EventBridge actions on these names only. */
export const AUTO_CONTAIN_PREFIX = "cordon-auto-contain-";

/** The IAM path of the role EventBridge assumes: the deploy policy may delete roles there, and only there. */
export const AUTO_CONTAIN_ROLE_PATH = "/cordon/auto-contain/";

/** The `repository_dispatch` event type the contain workflow accepts (`on.repository_dispatch.types`). */
export const DISPATCH_EVENT_TYPE = "cordon-contain";

/**
 * The AWS Health event codes that dispatch the contain workflow: AWS found the key exposed (in a
 * public repository, say) or compromised, or suspects either. Suspicion is enough: containment only
 * takes access away, and is undone by a pull request, while a leaked key is used within minutes.
 * Not `AWS_RISK_IAM_QUARANTINE`: it reports AWS's own quarantine of a key that an exposure event
 * already names, so it would only dispatch the same key again, and what it names is not documented
 * to be the key id. AWS's own sample (aws-health-tools, risk_credentials_exposed) matches all five.
 */
export const HEALTH_EVENT_CODES = [
  "AWS_RISK_CREDENTIALS_COMPROMISED",
  "AWS_RISK_CREDENTIALS_COMPROMISE_SUSPECTED",
  "AWS_RISK_CREDENTIALS_EXPOSED",
  "AWS_RISK_CREDENTIALS_EXPOSURE_SUSPECTED",
] as const;

/**
 * What the connection holds until someone sets the real token with `aws events update-connection`
 * (docs/contain.md). A connection cannot reference an existing secret: whatever Pulumi sends as
 * its value is kept in the stack's state, so Pulumi only ever sends this.
 */
export const TOKEN_PLACEHOLDER = "Bearer cordon-placeholder-set-the-token-with-aws-events-update-connection";

/**
 * How long and how often EventBridge retries a dispatch GitHub did not take: both at EventBridge's
 * own defaults, which are also its maxima (24 hours, 185 attempts), written out so that nobody
 * lowers them by accident. EventBridge retries an API destination's 429 and 5xx answers and
 * timeouts (its current guide adds 401, 407 and 409) and never another 4xx: a refused dispatch
 * (403, 404, 422) goes to the dead-letter queue at once, a throttled one when these run out.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html
 */
export const DISPATCH_RETRY_POLICY = { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 } as const;

/**
 * How long an undelivered event waits in the dead-letter queue: 14 days, the longest SQS keeps a
 * message, so that a weekend and a holiday pass before anything is lost.
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
 */
export const DEAD_LETTER_RETENTION_SECONDS = 1_209_600;

/** `owner/name`, as GitHub spells a repository. */
export const GITHUB_REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

export interface AutoContainPlan {
  region: string;
  ruleName: string;
  /** @see https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html */
  eventPattern: Record<string, unknown>;
  connectionName: string;
  /** The header EventBridge sets from the connection's secret. */
  apiKeyName: string;
  apiKeyPlaceholder: string;
  destinationName: string;
  endpoint: string;
  httpMethod: "POST";
  /**
   * Dispatches per second at most: a burst of events for many keys waits in EventBridge's retries
   * (`retryPolicy`), and what is still waiting when they run out goes to the dead-letter queue.
   * One, the lowest EventBridge takes: GitHub's secondary limits allow about 80 content-creating
   * requests a minute (and 500 an hour), and what exceeds them is answered 403, which EventBridge
   * does not retry.
   */
  invocationRateLimitPerSecond: number;
  /** Headers GitHub's REST API asks for (EventBridge sets User-Agent and Content-Type itself). */
  headers: Record<string, string>;
  targetId: string;
  /** EventBridge's retries of a dispatch GitHub did not take ({@link DISPATCH_RETRY_POLICY}). */
  retryPolicy: { maximumEventAgeInSeconds: number; maximumRetryAttempts: number };
  /** The rule's ARN (the default bus's rules are `rule/NAME`): what the queue policy admits. */
  ruleArn: string;
  /** The standard SQS queue where EventBridge puts what it could not dispatch, in the rule's region. */
  deadLetterQueueName: string;
  deadLetterQueueArn: string;
  /** @default 1209600 (14 days, SQS's maximum) */
  deadLetterRetentionSeconds: number;
  /** Only EventBridge, and only for this rule, may send to the queue. */
  deadLetterQueuePolicy: PolicyDocument;
  inputPaths: Record<string, string>;
  inputTemplate: string;
  roleName: string;
  rolePath: string;
  trustPolicy: PolicyDocument;
  invokePolicyName: string;
  invokePolicy: PolicyDocument;
}

/** The plan for `account`, dispatching to `repository` (`owner/name`). */
export function autoContainPlan(options: { account: string; repository: string }): AutoContainPlan {
  if (!GITHUB_REPOSITORY.test(options.repository)) {
    throw new Error(
      `cordon:autoContainRepository: found ${JSON.stringify(options.repository)}, expected the repository that holds the contain workflow, as owner/name (example-org/cordon-incidents)`,
    );
  }
  const destinationName = `${AUTO_CONTAIN_PREFIX}github-dispatch`;
  const ruleName = `${AUTO_CONTAIN_PREFIX}health`;
  const ruleArn = `arn:aws:events:${AUTO_CONTAIN_REGION}:${options.account}:rule/${ruleName}`;
  const deadLetterQueueName = `${AUTO_CONTAIN_PREFIX}dead-letter`;
  const deadLetterQueueArn = `arn:aws:sqs:${AUTO_CONTAIN_REGION}:${options.account}:${deadLetterQueueName}`;
  return {
    region: AUTO_CONTAIN_REGION,
    ruleName,
    eventPattern: {
      source: ["aws.health"],
      "detail-type": ["AWS Health Event"],
      detail: { service: ["RISK"], eventTypeCategory: ["issue"], eventTypeCode: [...HEALTH_EVENT_CODES] },
    },
    connectionName: `${AUTO_CONTAIN_PREFIX}github`,
    apiKeyName: "Authorization",
    apiKeyPlaceholder: TOKEN_PLACEHOLDER,
    destinationName,
    endpoint: `https://api.github.com/repos/${options.repository}/dispatches`,
    httpMethod: "POST",
    invocationRateLimitPerSecond: 1,
    headers: { Accept: "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28" },
    targetId: "github-dispatch",
    retryPolicy: { ...DISPATCH_RETRY_POLICY },
    ruleArn,
    deadLetterQueueName,
    deadLetterQueueArn,
    deadLetterRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
    // AWS's own form (eb-rule-dlq.html): EventBridge, for this rule only. The Deny keeps everyone
    // else out, an administrator of the account included (an identity policy would otherwise let
    // them send): a message here is read as an exposed key to contain, so only the rule writes one.
    // A principal without aws:SourceArn meets ArnNotEquals, so the Deny holds for it too.
    deadLetterQueuePolicy: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "EventBridgeFromTheRuleOnly",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: deadLetterQueueArn,
          Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
        },
        {
          Sid: "NoOneElseSends",
          Effect: "Deny",
          Principal: "*",
          Action: "sqs:SendMessage",
          Resource: deadLetterQueueArn,
          Condition: { ArnNotEquals: { "aws:SourceArn": ruleArn } },
        },
      ],
    },
    // The key id is the first affected entity (AWS's sample event and its own remediation read it
    // there); an event naming several keys dispatches the first only. The account is the key's,
    // `detail.affectedAccount`, not the event's `account`: that is the account the event was sent
    // to, which with Health's organizational view is the management or delegated administrator
    // account for every member's event. The contain workflow asks IAM about the key with the
    // account's role (IAM answers GetAccessKeyLastUsed only in the key's own account).
    // https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html
    inputPaths: {
      accessKey: "$.detail.affectedEntities[0].entityValue",
      account: "$.detail.affectedAccount",
      eventTypeCode: "$.detail.eventTypeCode",
    },
    // Placeholders outside quotes: EventBridge writes each value as a JSON string, escaped.
    inputTemplate: `{"event_type": "${DISPATCH_EVENT_TYPE}", "client_payload": {"access_key": <accessKey>, "account": <account>, "source": <eventTypeCode>}}`,
    roleName: `${AUTO_CONTAIN_PREFIX}invoke`,
    rolePath: AUTO_CONTAIN_ROLE_PATH,
    trustPolicy: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sts:AssumeRole",
          // Only EventBridge acting for this account (the confused deputy).
          Condition: { StringEquals: { "aws:SourceAccount": options.account } },
        },
      ],
    },
    invokePolicyName: "invoke-github-dispatch",
    invokePolicy: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: "events:InvokeApiDestination",
          // An API destination's ARN ends with an id EventBridge gives it.
          Resource: `arn:aws:events:${AUTO_CONTAIN_REGION}:${options.account}:api-destination/${destinationName}/*`,
        },
      ],
    },
  };
}

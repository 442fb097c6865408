/**
 * Secrets under compound names: `DB_PASSWORD`, `PGPASSWORD`, `STRIPE_API_KEY`, `token=ghp_…`,
 * and `{name: "DB_PASSWORD", value: "…"}` pairs (CodeBuild's and ECS's environment variables,
 * CloudFormation's parameters, Parameter Store's `Name`/`Value`). Wherever a record holds one, at
 * any depth of its request parameters or response elements, no output of `cordon review` shows the
 * value; names that are not a secret's keep theirs.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { fromRecord, REDACTED, redact, type ReviewEvent } from "../review/core/event.ts";
import { followChain } from "../review/core/chain.ts";
import { analyze } from "../review/core/findings.ts";
import { logSource } from "../review/logs/two-passes.ts";
import { KEY, keyRecord, logFolder } from "./support/review-logs.ts";

const SUFFIXES = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "secret_key",
  "secret_access_key",
  "token",
  "api_key",
  "apikey",
  "private_key",
  "credential",
  "credentials",
];
const PREFIXES = ["", "DB", "PG", "mysql", "API", "STRIPE", "stripe_api", "github", "app", "x", "Sendgrid", "aws"];

/** A name as people write it: a prefix, a separator, a secret's ending, each letter in either case. */
const secretName = fc
  .tuple(
    fc.constantFrom(...PREFIXES),
    fc.constantFrom("", "_", "-"),
    fc.constantFrom(...SUFFIXES),
    fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
  )
  .map(([prefix, separator, suffix, upper]) =>
    [...`${prefix}${prefix === "" ? "" : separator}${suffix}`]
      .map((char, i) => (upper[i] ? char.toUpperCase() : char))
      .join(""),
  );

/** A value no other part of a record holds: long enough to be found, short of a key's 40 characters. */
const secretValue = fc
  .string({
    unit: fc.constantFrom(..."abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"),
    minLength: 16,
    maxLength: 30,
  })
  .map((text) => `v${text}`);

/** Where a secret sits in its container: as a field, as a pair, or as `NAME=value` in a text. */
const placing = fc.oneof(
  fc.record({ how: fc.constant("field" as const) }),
  fc.record({
    how: fc.constant("pair" as const),
    nameKey: fc.constantFrom("name", "Name", "key", "Key", "ParameterKey"),
    valueKey: fc.constantFrom("value", "Value", "ParameterValue"),
  }),
  fc.record({
    how: fc.constant("text" as const),
    around: fc.constantFrom(
      (assignment: string) => assignment,
      (assignment: string) => `export ${assignment} && ./run.sh`,
      (assignment: string) => `https://example.com/hook?a=1&${assignment}&b=2`,
    ),
  }),
);

/** The path down to it: fields of objects and items of lists, any depth. */
const path = fc.array(fc.oneof(fc.constant(null), fc.constantFrom("config", "environment", "spec", "Parameters")), {
  maxLength: 8,
});

type Placing =
  | { how: "field" }
  | { how: "pair"; nameKey: string; valueKey: string }
  | { how: "text"; around: (a: string) => string };

function place(name: string, value: string, placed: Placing, steps: (string | null)[]): unknown {
  let held: unknown =
    placed.how === "field"
      ? { [name]: value }
      : placed.how === "pair"
        ? { [placed.nameKey]: name, [placed.valueKey]: value, type: "PLAINTEXT" }
        : { command: placed.around(`${name}=${value}`) };
  for (const step of [...steps].reverse()) held = step === null ? [held, "other"] : { [step]: held };
  return held;
}

const secrets = fc.array(
  fc.record({
    name: secretName,
    value: secretValue,
    placed: placing,
    steps: path,
    where: fc.constantFrom("requestParameters", "responseElements"),
  }),
  { minLength: 1, maxLength: 4 },
);

/** `cordon review` of the reviewed key's calls, one holding each secret, in every format, as users call it. */
async function everyOutput(records: Record<string, unknown>[]): Promise<string[]> {
  const dir = logFolder({ "trail.json": JSON.stringify({ Records: records }) });
  const outputs: string[] = [];
  for (const flags of [[], ["--json"], ["--markdown", "--html", "page.html"]]) {
    const io = memoryIo({ cwd: dir });
    expect(await main(["review", "--access-key", KEY, "--from-logs", ".", ...flags], io)).toBe(0);
    outputs.push(io.stdout, io.stderr);
  }
  outputs.push(readFileSync(join(dir, "page.html"), "utf8"));
  return outputs;
}

/** A CreateUser of the reviewed key (a finding, shown in every format) with `held` under `where`. */
const holding = (id: string, where: string, held: unknown) =>
  keyRecord(id, {
    eventName: "CreateUser",
    eventSource: "iam.amazonaws.com",
    readOnly: false,
    requestParameters: { userName: "mallory", ...(where === "requestParameters" ? { held } : {}) },
    ...(where === "responseElements" ? { responseElements: { user: { userName: "mallory" }, held } } : {}),
  });

describe("a secret under a compound name", () => {
  it("never reaches any output of review --from-logs, wherever the record holds it", async () => {
    await fc.assert(
      fc.asyncProperty(secrets, async (placed) => {
        const records = placed.map(({ name, value, placed, steps, where }, i) =>
          holding(`secret-${i}`, where, place(name, value, placed as Placing, steps)),
        );
        const outputs = await everyOutput(records);
        for (const output of outputs) for (const { value } of placed) expect(output).not.toContain(value);
        // The review is still of those calls: each is a finding in the JSON.
        expect(JSON.parse(outputs[2]).persistence).toHaveLength(placed.length);
      }),
      { numRuns: 15 },
    );
  });
});

/** Names that are no secret's: what the review shows, and names that end otherwise. */
const plainName = fc.oneof(
  fc.constantFrom(
    "accessKeyId",
    "userName",
    "roleArn",
    "roleSessionName",
    "eventName",
    "policyName",
    "policyArn",
    "secretId",
    "tokenCode",
    "nextToken",
    "NextToken",
    "clientToken",
    "ClientRequestToken",
    "LOG_LEVEL",
    "region",
    "keyName",
    "GetSigninToken",
    "ConsoleLogin",
  ),
  fc
    .stringMatching(/^[A-Za-z][A-Za-z0-9_]{2,20}$/)
    .filter(
      (name) =>
        !/(pass(wd|words?|phrases?)?|pwd|secret|secretkey|secretaccesskey|token|tokenvalue|apikeys?|privatekeys?|credentials?|secretstring|secretbinary)$/i.test(
          name.replace(/[-_]/g, ""),
        ),
    ),
);

describe("a value under a name that is no secret's", () => {
  it("is kept, as a field, as a pair, at any depth", async () => {
    await fc.assert(
      fc.asyncProperty(
        plainName,
        secretValue,
        fc.constantFrom<Placing>({ how: "field" }, { how: "pair", nameKey: "name", valueKey: "value" }),
        path,
        fc.constantFrom("requestParameters", "responseElements"),
        async (name, value, placed, steps, where) => {
          const record = holding("plain", where, place(name, value, placed, steps));
          const event = fromRecord(record) as ReviewEvent;
          const held = (where === "requestParameters" ? event.requestParameters : event.responseElements) as {
            held: unknown;
          };
          expect(held.held).toEqual(place(name, value, placed, steps));
        },
      ),
    );
  });

  it("is kept in the JSON of review --from-logs", async () => {
    const held = { Environment: { Variables: { LOG_LEVEL: "debug", TABLE: "orders-7f3a" } }, tokenCode: "123456" };
    const outputs = await everyOutput([holding("plain", "requestParameters", held)]);
    expect(JSON.parse(outputs[2]).events[0].requestParameters.held).toEqual(held);
  });
});

describe("the names the reviewer found and the pairs services write", () => {
  it.each([
    ["DB_PASSWORD"],
    ["PGPASSWORD"],
    ["mysql_password"],
    ["MYSQL_ROOT_PASSWD"],
    ["API_SECRET"],
    ["STRIPE_API_KEY"],
    ["STRIPE_SECRET_KEY"],
    ["github-token"],
    ["ssh_private_key"],
    ["db-credentials"],
    ["gpg_passphrase"],
    ["pwd"],
  ])("a field %s is redacted, and so is NAME=… in a text", (name) => {
    expect(redact({ [name]: "hunter2", n: 7, [`${name}Count`]: 3 })).toEqual({
      [name]: REDACTED,
      n: 7,
      [`${name}Count`]: 3,
    });
    expect(redact({ script: `export ${name}=hunter2 && run` })).toEqual({
      script: `export ${name}=${REDACTED} && run`,
    });
  });

  it("a sign-in record's result is kept, and a sign-in token under any other name is not", () => {
    expect(redact({ GetSigninToken: "Failure", ConsoleLogin: "Success" })).toEqual({
      GetSigninToken: "Failure",
      ConsoleLogin: "Success",
    });
    expect(
      redact({ SigninToken: "hunter2", url: "https://signin.aws.amazon.com/federation?SigninToken=hunter2" }),
    ).toEqual({
      SigninToken: REDACTED,
      url: `https://signin.aws.amazon.com/federation?SigninToken=${REDACTED}`,
    });
  });

  it("every name ending in api key stays redacted: AppSync's key id is the key, a tag api-key holds one", () => {
    expect(
      redact({
        apiKey: { id: "da2-abcdefghijklmnopqrstuvwxyz", expires: 1 },
        api_Key: "k2mbx0fq1a",
        tags: [{ key: "api-key", value: "hunter2" }],
      }),
    ).toEqual({ apiKey: REDACTED, api_Key: REDACTED, tags: [{ key: "api-key", value: REDACTED }] });
  });

  it("token=ghp_… in a text is redacted", () => {
    expect(redact({ url: "https://example.com/?token=ghp_abcdefghij0123456789&page=2" })).toEqual({
      url: `https://example.com/?token=${REDACTED}&page=2`,
    });
  });

  it.each([
    [
      "CodeBuild environmentVariables",
      {
        environmentVariables: [
          { name: "DB_PASSWORD", value: "hunter2", type: "PLAINTEXT" },
          { name: "STAGE", value: "prod", type: "PLAINTEXT" },
        ],
      },
      {
        environmentVariables: [
          { name: "DB_PASSWORD", value: REDACTED, type: "PLAINTEXT" },
          { name: "STAGE", value: "prod", type: "PLAINTEXT" },
        ],
      },
    ],
    [
      "CloudFormation parameters",
      {
        parameters: [
          { ParameterKey: "MasterUserPassword", ParameterValue: "hunter2" },
          { ParameterKey: "Env", ParameterValue: "prod" },
        ],
      },
      {
        parameters: [
          { ParameterKey: "MasterUserPassword", ParameterValue: REDACTED },
          { ParameterKey: "Env", ParameterValue: "prod" },
        ],
      },
    ],
    [
      "Parameter Store's Name and Value",
      { Name: "/prod/db/api_token", Value: "hunter2", Type: "String" },
      { Name: "/prod/db/api_token", Value: REDACTED, Type: "String" },
    ],
    [
      "ECS container environment",
      {
        containerDefinitions: [
          {
            name: "web",
            environment: [{ name: "API_SECRET", value: "hunter2" }],
            secrets: [{ name: "DB_PASSWORD", valueFrom: "arn:aws:ssm:us-east-1:111122223333:parameter/db" }],
          },
        ],
      },
      {
        containerDefinitions: [
          {
            name: "web",
            environment: [{ name: "API_SECRET", value: REDACTED }],
            secrets: [{ name: "DB_PASSWORD", valueFrom: "arn:aws:ssm:us-east-1:111122223333:parameter/db" }],
          },
        ],
      },
    ],
    [
      "a tag",
      {
        tags: [
          { key: "deploy_token", value: "hunter2" },
          { key: "team", value: "ops" },
        ],
      },
      {
        tags: [
          { key: "deploy_token", value: REDACTED },
          { key: "team", value: "ops" },
        ],
      },
    ],
    [
      "a list or an object under a secret's name, whole",
      { passwords: ["hunter2", "hunter3"], api_secret: { value: "hunter2", hint: "h" } },
      { passwords: REDACTED, api_secret: REDACTED },
    ],
  ])("%s: the secret's value is redacted, the rest kept", (_, given, kept) => {
    expect(redact(given)).toEqual(kept);
  });

  it("the credentials of a minted session keep the key id and the expiration the review follows", async () => {
    const minted = redact({
      credentials: {
        accessKeyId: "ASIAEXAMPLESESSION01",
        sessionToken: "hunter2",
        secretAccessKey: "hunter3",
        expiration: "Nov 28, 2026, 3:00:00 AM",
      },
      assumedRoleUser: { arn: "arn:aws:sts::111122223333:assumed-role/r/s" },
    });
    expect(minted).toEqual({
      credentials: {
        accessKeyId: "ASIAEXAMPLESESSION01",
        sessionToken: REDACTED,
        secretAccessKey: REDACTED,
        expiration: "Nov 28, 2026, 3:00:00 AM",
      },
      assumedRoleUser: { arn: "arn:aws:sts::111122223333:assumed-role/r/s" },
    });
    const mint = fromRecord(
      keyRecord("mint", {
        eventName: "GetSessionToken",
        eventSource: "sts.amazonaws.com",
        responseElements: minted as object,
      }),
    ) as ReviewEvent;
    const chain = await followChain(KEY, { start: null, end: null }, logSource([mint]));
    expect(analyze(chain).keys.map((key) => [key.accessKeyId, key.searchedUntil])).toEqual([
      [KEY, null],
      ["ASIAEXAMPLESESSION01", "2026-11-28T03:00:00Z"],
    ]);
  });

  it.each([
    [
      "a presigned URL's X-Amz-Credential",
      "X-Amz-Credential=AKIAEXAMPLEOTHER0001%2F20261128%2Fus-east-1%2Fs3%2Faws4_request",
    ],
    ["a page's nextToken", "nextToken=eyJwYWdlIjoyfQ"],
    ["an idempotency clientToken", "clientToken=5f1c-11aa"],
  ])("%s in a text is kept", (_, text) => {
    expect(redact({ text })).toEqual({ text });
  });
});

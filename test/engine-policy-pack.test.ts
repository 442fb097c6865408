/**
 * cordon's policy pack (policy/) as the engine runs it: `--policy-pack policy` starts the pack as
 * the Node.js language host starts an analyzer, and the stand-in calls it where the engine does
 * (Analyze before each step, AnalyzeStack once the steps are done; emulators/engine/analyzer.ts).
 * The program under test is the real one, run through cmd/run: the examples, and copies of the
 * project with one line of a component changed as a pull request could change it, judged by the
 * repository's own pack. Against moto; each refusal also runs without the pack, to show what it
 * stopped.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import {
  CreateAccessKeyCommand,
  ListAccessKeysCommand,
  ListPoliciesCommand,
  ListServiceSpecificCredentialsCommand,
  UpdateAccessKeyCommand,
} from "@aws-sdk/client-iam";
import { beforeEach, describe, expect, it } from "vitest";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { resourceNameOf } from "../plan/credentials.ts";
import type { Account } from "./support/aws-accounts.ts";
import { seedUser } from "./support/credentials.ts";
import { ROOT, engineSuite, runEngine, stepLines, type EngineRun } from "./support/engine.ts";
import { decide } from "./support/iam-evaluator.ts";
import type { Moto } from "./support/moto.ts";

const ACCOUNT = "123456789012";
const STACK = `prod-${ACCOUNT}`;
const PACK = "cordon@v0.1.0";
const KEY_TYPE = "aws:iam/accessKey:AccessKey";

const suite = engineSuite("cordon-pack-");
let moto: Moto;
let account: Account;
let dir: string;
beforeEach(async () => {
  ({ moto, account, dir } = await suite.fresh());
});

/** The project as a pull request's checkout holds it: every tracked file the program may load, and the installed dependencies. */
function project(patches: { file: string; from: string; to: string }[] = [], name = "project"): string {
  const copy = join(dir, name);
  const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
    .split("\0")
    .filter((file) => file !== "" && !/^(test|docs|bench|emulators|examples|incidents|policy|\.github)\//.test(file));
  for (const file of files) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(ROOT, file), join(copy, file));
  }
  symlinkSync(join(ROOT, "node_modules"), join(copy, "node_modules"), "dir");
  // The test's incident files, inside the copy as cordon:incidentsDir must be (the program reads no folder outside its project).
  symlinkSync(join(dir, "incidents"), join(copy, "incidents"), "dir");
  for (const { file, from, to } of patches) {
    const text = readFileSync(join(copy, file), "utf8");
    // The line a patch changes must be there: a changed component makes the test fail, not pass.
    expect([file, text.includes(from)]).toEqual([file, true]);
    writeFileSync(join(copy, file), text.replace(from, to));
  }
  return copy;
}

/** preview or up of the account's stack, with the repository's own pack unless told otherwise. */
function engine(
  command: "preview" | "up",
  projectDir: string | undefined,
  options: { pack?: boolean; incidents?: string; continueOnError?: boolean; config?: Record<string, string> } = {},
): Promise<EngineRun> {
  return runEngine(command, {
    moto,
    stack: STACK,
    state: join(dir, "state", `${STACK}.json`),
    dir: projectDir,
    config: {
      "cordon:account": ACCOUNT,
      "cordon:incidentsDir": options.incidents ?? (projectDir === undefined ? join(dir, "incidents") : "incidents"),
      ...options.config,
    },
    policyPacks: options.pack === false ? [] : ["policy"],
    continueOnError: options.continueOnError,
  });
}

/** The mandatory violations a run printed, as the CLI shows them (pack, level, policy, resource, then the message). */
const mandatory = (run: EngineRun) => run.errors.filter((e) => e.startsWith(`${PACK} [mandatory]`));
const advisory = (run: EngineRun) => run.warnings.filter((e) => e.startsWith(`${PACK} [advisory]`));

function incident(id: string, lines: string[]): void {
  writeFileSync(
    join(dir, "incidents", `${id}.yaml`),
    [`id: ${id}`, "title: t", `account: "${ACCOUNT}"`, ...lines, ""].join("\n"),
  );
}
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
/** A cutoff an hour ago: the incident is active, its deny document known at preview. */
const recentCutoff = () => iso(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
async function keyStatus(user: string, id: string): Promise<string | undefined> {
  return (await account.iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata?.find(
    (k) => k.AccessKeyId === id,
  )?.Status;
}

const DENY_DOCUMENT = 'filledDocument(name, "deny", policy, args.containment)';
const WITH_ALLOW =
  'filledDocument(name, "deny", { ...policy, document: { ...policy.document, Statement: [...policy.document.Statement, { Sid: "Oops", Effect: "Allow", Action: "*", Resource: "*" }] } }, args.containment)';
/** What @pulumi/policy reports for a policy that read a value a preview does not know. */
const cantRunAtPreview = (type: string, name: string) =>
  `${PACK} [advisory]  denies-are-only-denies  (${type}: ${name})\n` +
  `    can't run policy 'denies-are-only-denies' from policy pack '${PACK}' during preview: string value at .policy can't be known during preview`;

describe("the policy pack, run by the engine stand-in as the engine runs an analyzer", () => {
  it("passes a preview of the examples (its checks of at-containment denies wait for up: their documents are unknown at a first preview)", async () => {
    const keys: Record<string, string> = {};
    for (const [user, example] of [
      ["ci-deployer", "AKIAIOSFODNN7EXAMPLE"],
      ["svc-backup", "AKIAI44QH8DHBEXAMPLE"],
      ["dana", "AKIAJ7Q2EXAMPLEKEY77"],
    ])
      keys[example] = (await account.user(user, { key: true }))!;
    await account.role("deploy");
    await account.role("analytics-readonly");
    // The examples, their keys replaced by the keys moto made for the same users.
    const examples = join(dir, "examples");
    mkdirSync(examples);
    for (const file of execFileSync("git", ["ls-files", "examples/incidents"], { cwd: ROOT, encoding: "utf8" })
      .trim()
      .split("\n")) {
      let text = readFileSync(join(ROOT, file), "utf8");
      for (const [example, key] of Object.entries(keys)) text = text.replaceAll(example, key);
      writeFileSync(join(examples, file.split("/").pop()!), text);
    }

    const run = await engine("preview", undefined, { incidents: examples });
    expect([run.status, mandatory(run)]).toEqual([0, []]);
    expect(stepLines(run, (s) => s.type === KEY_TYPE && s.op === "import")).toHaveLength(3);
    // The denies of the at-containment incident (2026-11-28-key-in-ticket) depend on its instant, which a first preview does not know.
    expect(advisory(run).sort()).toEqual(
      [
        ["aws:iam/policy:Policy", "user-ci-deployer"],
        ["aws:iam/policy:Policy", "user-dana"],
        ["aws:iam/rolePolicy:RolePolicy", "role-analytics-readonly"],
        ["aws:iam/rolePolicy:RolePolicy", "role-deploy"],
      ].map(([type, name]) => cantRunAtPreview(type, `${ACCOUNT}-${name}`)),
    );
  });

  it("fails a program that sets a key Active: the preview shows why, the up stops before the key's step and the key stays disabled", async () => {
    const key = (await account.user("dana", { key: true }))!;
    await account.iam.send(new UpdateAccessKeyCommand({ UserName: "dana", AccessKeyId: key, Status: "Inactive" }));
    incident("2026-11-28-dana", [`cutoff: ${recentCutoff()}`, `users: [{ name: dana, accessKeys: [${key}] }]`]);
    const patched = project([
      { file: "components/DisabledAccessKey.ts", from: "{ user, status },", to: '{ user, status: "Active" },' },
    ]);
    const violation = [
      `${PACK} [mandatory]  access-keys-imported-and-disabled  (${KEY_TYPE}: ${ACCOUNT}-dana-${key})`,
      "    An access key is declared only by cordon's DisabledAccessKey, set Inactive, and never replaced (a replacement creates a key and deletes the old one).",
      `    ${ACCOUNT}-dana-${key}: status is "Active": cordon sets keys Inactive and never re-enables one`,
    ].join("\n");

    const preview = await engine("preview", patched);
    expect([preview.status, mandatory(preview)]).toEqual([1, [violation]]);
    expect(preview.errors.at(-1)).toBe("1 mandatory policy violation: the preview fails");

    const up = await engine("up", patched);
    expect([up.status, mandatory(up)]).toEqual([1, [violation]]);
    expect(up.errors).toContain(
      `urn:pulumi:${STACK}::cordon::cordon:iam:DisabledAccessKey$${KEY_TYPE}::${ACCOUNT}-dana-${key}: resource is invalid: a mandatory policy refused it, before any step of it was applied`,
    );
    expect(stepLines(up, (s) => s.type === KEY_TYPE)).toEqual([`import ${KEY_TYPE} ${ACCOUNT}-dana-${key}`]);
    expect(await keyStatus("dana", key)).toBe("Inactive");

    // Without the pack, the same program re-enables the key: what the pack stopped.
    const unguarded = await engine("up", patched, { pack: false });
    expect(unguarded.status).toBe(0);
    expect(await keyStatus("dana", key)).toBe("Active");
  });

  it("fails a program that adds an Allow to a deny: at preview when the document is known, at up before the deny is created", async () => {
    const key = (await account.user("dana", { key: true }))!;
    incident("2026-11-28-dana", [`cutoff: ${recentCutoff()}`, `users: [{ name: dana, accessKeys: [${key}] }]`]);
    const patched = project([{ file: "components/SessionRevocation.ts", from: DENY_DOCUMENT, to: WITH_ALLOW }]);
    const violation = [
      `${PACK} [mandatory]  denies-are-only-denies  (aws:iam/policy:Policy: ${ACCOUNT}-user-dana)`,
      "    Every deny cordon declares (a session revocation, a guardrail) holds only Deny statements with the condition cordon writes.",
      `    ${ACCOUNT}-user-dana: statement Oops is Allow: cordon's denies hold only Deny statements`,
    ].join("\n");

    const preview = await engine("preview", patched);
    expect([preview.status, mandatory(preview)]).toEqual([1, [violation]]);

    // As the workflows run up: --continue-on-error does not let a refused resource through.
    const up = await engine("up", patched, { continueOnError: true });
    expect([up.status, mandatory(up)]).toEqual([1, [violation]]);
    expect(
      stepLines(
        up,
        (s) => s.type === "aws:iam/policy:Policy" || s.type === "aws:iam/userPolicyAttachment:UserPolicyAttachment",
      ),
    ).toEqual([]);
    expect((await account.iam.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies).toEqual([]);
  });

  it("at-containment: a first preview cannot see the deny's document (advisory), the up refuses the Allow before the deny is created", async () => {
    const key = (await account.user("dana", { key: true }))!;
    incident("2026-11-28-dana", ["cutoff: at-containment", `users: [{ name: dana, accessKeys: [${key}] }]`]);
    const patched = project([{ file: "components/SessionRevocation.ts", from: DENY_DOCUMENT, to: WITH_ALLOW }]);

    const preview = await engine("preview", patched);
    expect([preview.status, mandatory(preview)]).toEqual([0, []]);
    expect(advisory(preview)).toEqual([cantRunAtPreview("aws:iam/policy:Policy", `${ACCOUNT}-user-dana`)]);

    const up = await engine("up", patched);
    expect([up.status, mandatory(up).map((v) => v.split("\n")[2])]).toEqual([
      1,
      [`    ${ACCOUNT}-user-dana: statement Oops is Allow: cordon's denies hold only Deny statements`],
    ]);
    expect((await account.iam.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies).toEqual([]);
    // The key's steps came first, and stay applied: the key is disabled.
    expect(await keyStatus("dana", key)).toBe("Inactive");
  });

  it("fails a program that creates a key: the preview before anything; the up only after the steps, as the engine runs stack policies", async () => {
    await account.user("dana");
    const existing = (await account.iam.send(new CreateAccessKeyCommand({ UserName: "dana" }))).AccessKey!.AccessKeyId!;
    incident("2026-11-28-dana", [`cutoff: ${recentCutoff()}`, `users: [{ name: dana, accessKeys: [${existing}] }]`]);
    const patched = project([
      {
        file: "components/DisabledAccessKey.ts",
        from: "{ parent: this, import: accessKeyId, retainOnDelete: true",
        to: "{ parent: this, retainOnDelete: true",
      },
    ]);
    const violation = [
      `${PACK} [mandatory]  access-keys-never-created  (${KEY_TYPE}: ${ACCOUNT}-dana-${existing})`,
      "    No access key is created: an imported key has no secret; a key Pulumi creates (or replaces) has one, unknown at preview and set after up.",
      `    ${ACCOUNT}-dana-${existing}: this access key would be created by Pulumi (it has a secret): cordon only imports existing keys`,
    ].join("\n");

    const preview = await engine("preview", patched);
    expect([preview.status, mandatory(preview)]).toEqual([1, [violation]]);
    expect(stepLines(preview, (s) => s.type === KEY_TYPE)).toEqual([`create ${KEY_TYPE} ${ACCOUNT}-dana-${existing}`]);
    expect((await account.iam.send(new ListAccessKeysCommand({ UserName: "dana" }))).AccessKeyMetadata).toHaveLength(1);

    // AnalyzeStack runs once every step is done: the up fails, after the key was created. In AWS,
    // the deployer's Deny of iam:CreateAccessKey fails the step itself (below); moto enforces no policy.
    const up = await engine("up", patched);
    expect([up.status, mandatory(up)]).toEqual([1, [violation]]);
    expect((await account.iam.send(new ListAccessKeysCommand({ UserName: "dana" }))).AccessKeyMetadata).toHaveLength(2);
    expect(await deployerMay("iam:CreateAccessKey")).toBe("ExplicitlyDenied");
  });

  it("fails a program that creates an SSH public key, a signing certificate or a service-specific credential: the preview by the ids only a create leaves unknown; the up by a created credential's secret, after the steps", async () => {
    const seeded = await seedUser(account.iam, "dana", {
      sshPublicKeys: 1,
      signingCertificates: 1,
      services: ["bedrock.amazonaws.com"],
    });
    incident("2026-11-28-dana", [
      `cutoff: ${recentCutoff()}`,
      `users: [{ name: dana, accessKeys: [${seeded.accessKeys[0]}] }]`,
    ]);
    const [ssh, certificate, bedrock] = [
      resourceNameOf(ACCOUNT, "dana", "ssh-public-key", seeded.sshPublicKeys[0]),
      resourceNameOf(ACCOUNT, "dana", "signing-certificate", seeded.signingCertificates[0]),
      resourceNameOf(ACCOUNT, "dana", "service-specific-credential", seeded.serviceSpecificCredentials[0].id),
    ];
    // Each declared as its component declares it, Inactive, its ForceNew inputs ignored: only the import is gone.
    const IMPORTED = "import: credential.importId,";
    const created = project([{ file: "components/disabled-credential-component.ts", from: IMPORTED, to: "" }]);
    const refusal = (type: string, name: string, what: string, sign: string) =>
      [
        `${PACK} [mandatory]  credentials-never-created  (${type}: ${name})`,
        "    No SSH public key, signing certificate or service-specific credential is created: an imported one's outputs are read before any step; a created one's id is unknown at preview, and only a created service-specific credential has a password or secret.",
        `    ${name}: this ${what} would be created by Pulumi (${sign}): cordon only imports existing credentials`,
      ].join("\n");
    const unknown = (key: string, what: string) =>
      `its ${key} is not known yet: AWS gives it to the call that creates the ${what}`;

    const preview = await engine("preview", created);
    expect([preview.status, mandatory(preview).sort()]).toEqual([
      1,
      [
        refusal("aws:iam/sshKey:SshKey", ssh, "SSH public key", unknown("sshPublicKeyId", "SSH public key")),
        refusal(
          "aws:iam/signingCertificate:SigningCertificate",
          certificate,
          "signing certificate",
          unknown("certificateId", "signing certificate"),
        ),
        refusal(
          "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
          bedrock,
          "service-specific credential",
          unknown("serviceSpecificCredentialId", "service-specific credential"),
        ),
      ].sort(),
    ]);

    // At up the stack policy runs once the steps are done: a Bedrock API key created has its secret
    // by then (its SSH key and certificate, still imported, are disabled as usual).
    const bedrockCreated = project(
      [
        {
          file: "components/disabled-credential-component.ts",
          from: IMPORTED,
          to: 'import: credential.kind === "service-specific-credential" ? undefined : credential.importId,',
        },
      ],
      "project-bedrock-created",
    );
    const up = await engine("up", bedrockCreated);
    expect([up.status, mandatory(up)]).toEqual([
      1,
      [
        refusal(
          "aws:iam/serviceSpecificCredential:ServiceSpecificCredential",
          bedrock,
          "service-specific credential",
          "it has a secret: serviceCredentialSecret",
        ),
      ],
    ]);
    expect(
      (await account.iam.send(new ListServiceSpecificCredentialsCommand({ UserName: "dana" })))
        .ServiceSpecificCredentials,
    ).toHaveLength(2);
    // In AWS the deployer's Deny fails each such step itself; after up, an uploaded SSH key or
    // certificate (no secret) looks imported, so that Deny is all that stops one.
    for (const action of [
      "iam:CreateServiceSpecificCredential",
      "iam:UploadSSHPublicKey",
      "iam:UploadSigningCertificate",
    ])
      expect([action, await deployerMay(action)]).toEqual([action, "ExplicitlyDenied"]);
  });

  it("fails a stack whose aws: config points the default provider elsewhere or at other credentials: the preview names each setting, the up stops before any step", async () => {
    const key = (await account.user("dana", { key: true }))!;
    incident("2026-11-28-dana", [`cutoff: ${recentCutoff()}`, `users: [{ name: dana, accessKeys: [${key}] }]`]);
    // What a change to a stack file could add: IAM answered from elsewhere, credentials from a profile, no check of them.
    const config = {
      "aws:endpoints": '[{"iam":"https://iam.attacker.example"}]',
      "aws:profile": "other-account",
      "aws:skipCredentialsValidation": "true",
      "aws:region": "eu-west-1",
    };
    const PROVIDER = "default_7_48_0";
    const messages = [
      `    ${PROVIDER}: endpoints is set: it sends the provider's calls to other endpoints: IAM answered from elsewhere, an up succeeds and contains nothing`,
      `    ${PROVIDER}: profile is set: it takes credentials from the program, a file or another role, not the job's: the calls would act as someone else, maybe in another account`,
      `    ${PROVIDER}: skipCredentialsValidation is "true": expected false: the provider checks its credentials with STS before any call`,
    ];
    const heading = `${PACK} [mandatory]  aws-providers-only-cordon-settings  (pulumi:providers:aws: ${PROVIDER})`;

    const preview = await engine("preview", undefined, { config });
    expect([
      preview.status,
      mandatory(preview).map((v) => v.split("\n")[0]),
      mandatory(preview).map((v) => v.split("\n")[2]),
    ]).toEqual([1, messages.map(() => heading), messages]);

    // The default provider is registered before the first resource that needs it: nothing is applied.
    const up = await engine("up", undefined, { config });
    expect([up.status, mandatory(up).map((v) => v.split("\n")[2])]).toEqual([1, messages]);
    expect(up.errors).toContain(
      `urn:pulumi:${STACK}::cordon::pulumi:providers:aws::${PROVIDER}: resource is invalid: a mandatory policy refused it, before any step of it was applied`,
    );
    expect(stepLines(up, (s) => s.type === KEY_TYPE)).toEqual([]);
    expect(await keyStatus("dana", key)).toBe("Active");
  });

  it("cannot see a key deleted: the engine shows no analyzer a delete, nor retainOnDelete; the deployer's Deny of iam:DeleteAccessKey is what stops it", async () => {
    const key = (await account.user("dana", { key: true }))!;
    incident("2026-11-28-dana", [`cutoff: ${recentCutoff()}`, `users: [{ name: dana, accessKeys: [${key}] }]`]);
    const patched = project([
      {
        file: "components/DisabledAccessKey.ts",
        from: "import: accessKeyId, retainOnDelete: true, ",
        to: "import: accessKeyId, ",
      },
    ]);
    expect((await engine("up", patched)).status).toBe(0);
    expect(await keyStatus("dana", key)).toBe("Inactive");

    // The incident goes: the program no longer declares the key, and the engine deletes it, pack or not.
    rmSync(join(dir, "incidents", "2026-11-28-dana.yaml"));
    const up = await engine("up", patched);
    expect([up.status, up.errors, up.warnings.filter((w) => w.startsWith(PACK))]).toEqual([0, [], []]);
    expect(stepLines(up, (s) => s.type === KEY_TYPE)).toEqual([`delete ${KEY_TYPE} ${ACCOUNT}-dana-${key}`]);
    expect(await keyStatus("dana", key)).toBeUndefined();
    expect(await deployerMay("iam:DeleteAccessKey")).toBe("ExplicitlyDenied");
  });
});

/** What the deployer's deploy policy (`permissions --deployer-role-arn`) lets it do to a user's key, as iam-simulate decides. */
async function deployerMay(action: string): Promise<string> {
  const io = memoryIo();
  expect(await main(["permissions", "--deployer-role-arn", `arn:aws:iam::${ACCOUNT}:role/cordon-deployer`], io)).toBe(
    0,
  );
  return decide([JSON.parse(io.stdout)], {
    principal: `arn:aws:iam::${ACCOUNT}:role/cordon-deployer`,
    action,
    resource: `arn:aws:iam::${ACCOUNT}:user/dana`,
    account: ACCOUNT,
  });
}

/**
 * `cordon doctor` on a repository set up as docs/setup.md says (no gap, exit 0) and on one broken
 * in every way it checks (each gap reported with its fix, exit 1), offline and, against moto, in an
 * account: the provider, the roles' trust and policies, the organization's policy types, and
 * auto-contain's dead-letter queue.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  IAMClient,
  ListOrganizationsFeaturesCommand,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateOrganizationCommand,
  EnablePolicyTypeCommand,
  ListRootsCommand,
  OrganizationsClient,
} from "@aws-sdk/client-organizations";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import fc from "fast-check";
import { mockClient } from "aws-sdk-client-mock";
import { stringify } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { actionOfCommand } from "../aws/clients.ts";
import { doctorPermissions } from "../aws/doctor.ts";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";
import { bootstrapDescription } from "../bootstrap/declared.ts";
import { bootstrapFor } from "../permissions/roles.ts";
import { repositoryChecks } from "../doctor/checks.ts";
import { readProject } from "../cli/project.ts";
import { motoForSuite } from "./support/moto.ts";
import { ACCOUNT, correctFiles } from "./support/doctor-repository.ts";

const REPOSITORY = "example-org/cordon-incidents";
const mockIam = () => mockClient(IAMClient);
const NOW = "2026-11-28T12:00:00Z";

const dirs: string[] = [];
function repository(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "cordon-doctor-"));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function doctor(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  // From a subfolder: doctor finds the project as Pulumi does.
  mkdirSync(join(dir, "incidents"), { recursive: true });
  const io = memoryIo({ cwd: join(dir, "incidents"), env });
  const code = await main(["doctor", "--now", NOW, ...args], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe("doctor, offline", () => {
  it("passes a repository set up as documented (exit 0)", async () => {
    const { code, stdout } = await doctor(repository(correctFiles()));
    expect(stdout).toBe(
      [
        "✓ project name: Pulumi.yaml and the workflows' PULUMI_PROJECT (acme/cordon) name the project cordon",
        "✓ stack files: prod-123456789012, prod-999999999999: each sets its cordon:account",
        "✓ CODEOWNERS: .github/CODEOWNERS: default owner @acme/security",
        "✓ workflows' environments and secrets: 3 workflows: each write secret only in a job of its environment (cordon-apply, cordon-contain)",
        "",
        "no gap: set up as docs/setup.md says",
        "",
      ].join("\n"),
    );
    expect(code).toBe(0);
  });

  it("reports each gap of a broken repository with its fix (exit 1)", async () => {
    const files = correctFiles({
      applyProject: "acme/cordon-prod",
      applyUpEnvironment: null,
      previewProject: "example-org/cordon",
      previewSecrets: ["PULUMI_ACCESS_TOKEN", "CORDON_AWS_PREVIEW_ROLE_ARN_TEMPLATE"],
    });
    files[".github/CODEOWNERS"] = "/incidents/ @example-org/security-team\n* @example-org/security-team\n";
    delete files["Pulumi.prod-123456789012.yaml"];
    const dir = repository(files);
    const { code, stdout } = await doctor(dir);
    // Run from a subfolder: the fixes that name files go to the root first.
    expect(stdout.split("\n")).toEqual([
      "✗ project name: .github/workflows/apply.yml: PULUMI_PROJECT is acme/cordon-prod, but Pulumi.yaml names the project cordon: the workflows would look for stacks of another project; .github/workflows/incident-pull-request.yml: PULUMI_PROJECT's organization is the placeholder example-org",
      `    fix: cd ${dir} && sed -i 's#^  PULUMI_PROJECT: .*#  PULUMI_PROJECT: acme/cordon#' .github/workflows/apply.yml .github/workflows/incident-pull-request.yml`,
      '✗ stack files: account 123456789012 (2026-11-28-ci-key) has no Pulumi.prod-123456789012.yaml setting cordon:account: "123456789012"',
      "    fix: pulumi stack init acme/prod-123456789012 && pulumi config set --stack acme/prod-123456789012 cordon:account 123456789012",
      "✗ CODEOWNERS: .github/CODEOWNERS names the placeholder @example-org/security-team: no real team approves",
      `    fix: cd ${dir} && sed -i 's#@example-org/security-team#@YOUR-ORG/YOUR-SECURITY-TEAM#g' .github/CODEOWNERS`,
      "✗ workflows' environments and secrets: .github/workflows/apply.yml, job up: uses secrets.CORDON_AWS_ROLE_ARN_TEMPLATE (the deployer role, with {account}) outside any environment; expected environment cordon-apply; .github/workflows/apply.yml, job up: uses secrets.PULUMI_ACCESS_TOKEN (a Pulumi token that can update the stacks) outside any environment; expected environment cordon-apply; .github/workflows/incident-pull-request.yml, job preview: uses secrets.PULUMI_ACCESS_TOKEN (a Pulumi token that can update the stacks) outside any environment; expected environment cordon-apply",
      "    fix: in .github/workflows/apply.yml, job up: environment: cordon-apply; in .github/workflows/incident-pull-request.yml, job preview: environment: cordon-apply",
      "",
      "4 gaps: run each fix, then npx cordon doctor again",
      "",
    ]);
    expect(code).toBe(1);
  });

  it("a CODEOWNERS without a default owner, an undocumented secret, a secret for every job, an invalid incident", async () => {
    const files = correctFiles();
    files[".github/CODEOWNERS"] = "/incidents/ @acme/security\n";
    files[".github/workflows/contain.yml"] = files[".github/workflows/contain.yml"]
      .replace(
        "env:\n  PULUMI_PROJECT: acme/cordon\n",
        'env:\n  PULUMI_PROJECT: acme/cordon\n  TOKEN: "${{ secrets.CORDON_CONTAIN_TOKEN }}"\n',
      )
      .replaceAll("CORDON_AWS_CONTAIN_ROLE_ARN_TEMPLATE", "CORDON_AWS_ROLE_ARN");
    files["incidents/2026-11-28-ci-key.yaml"] = "id: 2026-11-28-ci-key\n";
    const dir = repository(files);
    const { code, stdout } = await doctor(dir);
    const lines = stdout.split("\n");
    expect(lines).toContain(
      '✗ CODEOWNERS: .github/CODEOWNERS has no default owner (a line "* @owner"): a change outside the listed paths needs nobody\'s approval',
    );
    expect(lines).toContain(`    fix: cd ${dir} && sed -i '1i * @YOUR-ORG/YOUR-SECURITY-TEAM' .github/CODEOWNERS`);
    expect(stdout).toContain(
      ".github/workflows/contain.yml: the workflow's env: holds secrets.CORDON_CONTAIN_TOKEN: every job would get it; move it to the job that needs it",
    );
    expect(stdout).toContain(
      ".github/workflows/contain.yml, job contain: secrets.CORDON_AWS_ROLE_ARN is not one of the documented secrets",
    );
    expect(lines).toContain("✗ incident files: 3 errors: nothing is deployed while any file is invalid");
    expect(lines).toContain("    fix: npx cordon validate");
    expect(code).toBe(1);
  });

  it("each fix that names files works from the subfolder doctor ran in, whatever the root's name holds", async () => {
    const files = correctFiles();
    files[".github/CODEOWNERS"] = "* @example-org/security-team\n";
    const parent = repository({});
    const root = join(parent, "it's a $(repo) & more");
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const first = await doctor(root);
    const fix = first.stdout
      .split("\n")
      .find((line) => line.startsWith("    fix: cd "))
      ?.slice("    fix: ".length);
    expect(fix).toBe(
      `cd '${parent}/it'\\''s a $(repo) & more' && sed -i 's#@example-org/security-team#@YOUR-ORG/YOUR-SECURITY-TEAM#g' .github/CODEOWNERS`,
    );
    // Run as printed, it replaces the shipped placeholder by the fix's own, which is no team either.
    execFileSync("sh", ["-c", fix as string], { cwd: join(root, "incidents") });
    const second = await doctor(root);
    expect(second.stdout).toContain(
      "✗ CODEOWNERS: .github/CODEOWNERS names the placeholder @YOUR-ORG/YOUR-SECURITY-TEAM: no real team approves\n",
    );
    expect(second.code).toBe(1);
    // With the team's handle put in, as the fix means it to be run.
    writeFileSync(join(root, ".github/CODEOWNERS"), files[".github/CODEOWNERS"]);
    execFileSync("sh", ["-c", (fix as string).replace("@YOUR-ORG/YOUR-SECURITY-TEAM", "@acme/security")], {
      cwd: join(root, "incidents"),
    });
    const third = await doctor(root);
    expect(third.stdout).toContain("✓ CODEOWNERS: .github/CODEOWNERS: default owner @acme/security\n");
    expect(third.code).toBe(0);
  });

  it("from the root, the fixes are as they are", async () => {
    const files = correctFiles();
    files[".github/CODEOWNERS"] = "* @example-org/security-team\n";
    const dir = repository(files);
    const io = memoryIo({ cwd: dir });
    expect(await main(["doctor", "--now", NOW], io)).toBe(1);
    expect(io.stdout).toContain(
      "    fix: sed -i 's#@example-org/security-team#@YOUR-ORG/YOUR-SECURITY-TEAM#g' .github/CODEOWNERS\n",
    );
  });
});

describe("doctor, its own fixes pasted as printed", () => {
  const BIN = resolve(import.meta.dirname, "..", "cli", "cordon.js");

  /** `npx cordon doctor` as users run it: a process, from the repository's root. */
  function cordonDoctor(dir: string) {
    const run = spawnSync(process.execPath, [BIN, "doctor", "--now", NOW], { cwd: dir, encoding: "utf8" });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  }
  const line = (stdout: string, name: string) => stdout.split("\n").find((l) => l.slice(2).startsWith(`${name}`));
  const fixOf = (stdout: string, name: string) => {
    const lines = stdout.split("\n");
    return lines[lines.findIndex((l) => l.slice(2).startsWith(name)) + 1].replace(/^ {4}fix: /, "");
  };
  /** The repository as it ships: example-org in every workflow and in CODEOWNERS. */
  const shipped = () => {
    const files = correctFiles();
    for (const [path, text] of Object.entries(files))
      files[path] = text
        .replaceAll("acme/cordon", "example-org/cordon")
        .replaceAll("@acme/security", "@example-org/security-team");
    return files;
  };

  it("CODEOWNERS: each command doctor prints leaves a gap, until a real handle is put in", () => {
    for (const text of [undefined, "/incidents/ @acme/security\n", "* @example-org/security-team\n"]) {
      const files = correctFiles();
      if (text === undefined) delete files[".github/CODEOWNERS"];
      else files[".github/CODEOWNERS"] = text;
      const dir = repository(files);
      const first = cordonDoctor(dir);
      expect(line(first.stdout, "CODEOWNERS")?.[0], first.stdout).toBe("✗");
      const fix = fixOf(first.stdout, "CODEOWNERS");
      expect(fix).toContain("@YOUR-ORG/YOUR-SECURITY-TEAM");
      execFileSync("sh", ["-c", fix], { cwd: dir });
      const second = cordonDoctor(dir);
      expect(line(second.stdout, "CODEOWNERS")).toBe(
        "✗ CODEOWNERS: .github/CODEOWNERS names the placeholder @YOUR-ORG/YOUR-SECURITY-TEAM: no real team approves",
      );
      expect(fixOf(second.stdout, "CODEOWNERS")).toBe(
        "put your security team's handle in place of @YOUR-ORG/YOUR-SECURITY-TEAM in .github/CODEOWNERS",
      );
      expect(second.code).toBe(1);
    }
  });

  it("PULUMI_PROJECT: the edit doctor prints, pasted as it is, leaves a gap; no fix is built from example-org", () => {
    const files = shipped();
    delete files["Pulumi.prod-123456789012.yaml"];
    const dir = repository(files);
    const first = cordonDoctor(dir);
    expect(first.stdout.split("\n").slice(0, 4)).toEqual([
      "✗ project name: .github/workflows/apply.yml: PULUMI_PROJECT's organization is the placeholder example-org; .github/workflows/contain.yml: PULUMI_PROJECT's organization is the placeholder example-org; .github/workflows/incident-pull-request.yml: PULUMI_PROJECT's organization is the placeholder example-org",
      "    fix: set PULUMI_PROJECT: <your Pulumi organization>/cordon in the env: of .github/workflows/apply.yml, .github/workflows/contain.yml, .github/workflows/incident-pull-request.yml, with your Pulumi organization's name (pulumi org get-default)",
      '✗ stack files: account 123456789012 (2026-11-28-ci-key) has no Pulumi.prod-123456789012.yaml setting cordon:account: "123456789012"',
      "    fix: once PULUMI_PROJECT names your Pulumi organization (project name): pulumi stack init <your Pulumi organization>/prod-123456789012 && pulumi config set --stack <your Pulumi organization>/prod-123456789012 cordon:account 123456789012",
    ]);
    const pasted = /set (PULUMI_PROJECT: \S+ \S+ \S+)/.exec(fixOf(first.stdout, "project name"))?.[1] as string;
    for (const path of Object.keys(files).filter((p) => p.startsWith(".github/workflows/")))
      writeFileSync(join(dir, path), files[path].replace(/PULUMI_PROJECT: .*/, pasted));
    const second = cordonDoctor(dir);
    expect(line(second.stdout, "project name")).toBe(
      "✗ project name: .github/workflows/apply.yml: PULUMI_PROJECT's organization is the placeholder <your Pulumi organization>; .github/workflows/contain.yml: PULUMI_PROJECT's organization is the placeholder <your Pulumi organization>; .github/workflows/incident-pull-request.yml: PULUMI_PROJECT's organization is the placeholder <your Pulumi organization>",
    );
    expect(second.stdout.split("\n").slice(0, 4).join("\n")).not.toContain("example-org");
    expect(second.code).toBe(1);
  });
});

describe("doctor's placeholders, in any spelling", () => {
  /** A placeholder as a team may leave it: in any case. */
  const anyCase = (text: string) =>
    fc
      .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
      .map((upper) => [...text].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(""));
  const owners = fc.oneof(
    anyCase("@YOUR-ORG/YOUR-SECURITY-TEAM"),
    anyCase("@example-org/security-team"),
    anyCase("@your-org/security"),
    anyCase("@acme/your-security-team"),
    anyCase("@example-org/secops"),
    fc.stringMatching(/^@[a-z]{1,8}\/<[a-z-]{1,12}>$/),
  );
  const organizations = fc.oneof(
    anyCase("example-org"),
    anyCase("YOUR-ORG"),
    fc.constant("<your Pulumi organization>"),
    // Not a Pulumi organization's name: too short, too long, or a character Pulumi refuses.
    fc.stringMatching(/^[a-z]{1,2}$/),
    fc.stringMatching(/^[a-z]{41,45}$/),
    fc.stringMatching(/^[a-z]{2,6}[.@ '#$][a-z]{2,6}$/),
    fc.stringMatching(/^-[a-z]{3,6}$/),
  );
  const checksOf = (files: Record<string, string>) => {
    const dir = repository(files);
    return repositoryChecks({
      projectText: files["Pulumi.yaml"],
      project: readProject(dir),
      accounts: [
        {
          account: ACCOUNT,
          stack: `prod-${ACCOUNT}`,
          incidents: ["2026-11-28-ci-key"],
          organization: false,
          recordsContainment: [],
          after: [],
        },
      ],
      workflows: Object.fromEntries(Object.entries(files).filter(([path]) => path.startsWith(".github/workflows/"))),
      codeowners: { path: ".github/CODEOWNERS", text: files[".github/CODEOWNERS"] },
      incidentErrors: [],
    });
  };

  it("a CODEOWNERS owner that is or holds a placeholder is a gap; a real handle holds", () => {
    fc.assert(
      fc.property(owners, fc.boolean(), (owner, asDefault) => {
        const files = correctFiles();
        files[".github/CODEOWNERS"] = asDefault ? `* ${owner}\n` : `* @acme/security\n/incidents/ ${owner}\n`;
        const check = checksOf(files).find((c) => c.name === "CODEOWNERS");
        expect(check?.ok).toBe(false);
        expect(check?.detail).toContain(`names the placeholder ${owner}: no real team approves`);
      }),
      { numRuns: 60 },
    );
    const files = correctFiles();
    files[".github/CODEOWNERS"] = "* @acme/security-team @example-organisation/org\n";
    expect(checksOf(files).find((c) => c.name === "CODEOWNERS")?.ok).toBe(true);
  });

  it("a PULUMI_PROJECT organization that is a placeholder or no Pulumi organization is a gap, and no fix names it", () => {
    fc.assert(
      fc.property(organizations, fc.boolean(), (organization, everywhere) => {
        const files = correctFiles();
        delete files["Pulumi.prod-123456789012.yaml"];
        for (const path of Object.keys(files).filter((p) => p.startsWith(".github/workflows/")))
          if (everywhere || path.endsWith("apply.yml"))
            files[path] = files[path].replace("acme/cordon", JSON.stringify(`${organization}/cordon`));
        const checks = checksOf(files);
        const project = checks.find((c) => c.name === "project name");
        expect(project?.ok).toBe(false);
        const apply = project?.detail.split("; ").find((part) => part.startsWith(".github/workflows/apply.yml: "));
        expect(apply).toMatch(/^.github\/workflows\/apply.yml: PULUMI_PROJECT's organization /);
        expect(apply).toContain(organization);
        const stacks = checks.find((c) => c.name === "stack files");
        // Every organization a fix names: the one real organization given, else the fix's own placeholder.
        for (const fix of [project?.fix, stacks?.fix]) {
          const named = [...(fix ?? "").matchAll(/(?:PULUMI_PROJECT: |stack init |--stack )(<[^>]*>|[^/\s]+)\//g)];
          expect(named.length).toBeGreaterThan(0);
          for (const [, name] of named) expect(name).toBe(everywhere ? "<your Pulumi organization>" : "acme");
        }
      }),
      { numRuns: 80 },
    );
  });

  it("a Pulumi organization's name, as Pulumi checks it, holds", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_-]{1,38}[a-zA-Z0-9]$/), (organization) => {
        fc.pre(!/example-org|your-org|your-security-team/i.test(organization));
        const files = correctFiles();
        for (const path of Object.keys(files).filter((p) => p.startsWith(".github/workflows/")))
          files[path] = files[path].replace("acme/cordon", `${organization}/cordon`);
        const project = checksOf(files).find((c) => c.name === "project name");
        expect(project?.ok, project?.detail).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

describe("doctor --aws, against moto", () => {
  const suite = motoForSuite({ managedPolicies: false });

  const clients = () => {
    const config = {
      endpoint: suite.current().endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    };
    return { iam: new IAMClient(config), organizations: new OrganizationsClient(config), sqs: new SQSClient(config) };
  };

  /** What the bootstrap makes in the account, made with the SDK from the same description. */
  async function bootstrapAccount(organizationStack: boolean): Promise<void> {
    const { iam } = clients();
    const description = bootstrapFor(bootstrapDescription(), {
      account: ACCOUNT,
      repository: REPOSITORY,
      organizationStack,
    });
    await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: description.oidcProvider.url,
        ClientIDList: description.oidcProvider.clientIds,
        ThumbprintList: [],
      }),
    );
    await createRoles(description.roles, { settings: true });
  }

  /** Roles with their inline policies, made with the SDK; with `settings`, their description and session length too. */
  async function createRoles(roles: ReturnType<typeof bootstrapFor>["roles"], { settings }: { settings: boolean }) {
    const { iam } = clients();
    for (const role of roles) {
      await iam.send(
        new CreateRoleCommand({
          RoleName: role.name,
          Path: role.path,
          AssumeRolePolicyDocument: JSON.stringify(role.trust),
          ...(settings ? { Description: role.description, MaxSessionDuration: role.maxSessionDuration } : {}),
        }),
      );
      for (const policy of role.policies)
        await iam.send(
          new PutRolePolicyCommand({
            RoleName: role.name,
            PolicyName: policy.name,
            PolicyDocument: JSON.stringify(policy.document),
          }),
        );
    }
  }

  /** An account the bootstrap set up, whose organization has SCPs enabled: no gap. Returns its roots. */
  async function accountWithoutGap() {
    await suite.current().reset();
    await bootstrapAccount(true);
    const { organizations } = clients();
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    const { Roots } = await organizations.send(new ListRootsCommand({}));
    await organizations.send(
      new EnablePolicyTypeCommand({ RootId: Roots![0].Id, PolicyType: "SERVICE_CONTROL_POLICY" }),
    );
    return Roots;
  }

  /** The correct repository, with the organization stack in this account so the guardrail check applies. */
  function files(): Record<string, string> {
    const all = correctFiles();
    delete all["Pulumi.prod-999999999999.yaml"];
    all["Pulumi.prod-123456789012.yaml"] =
      'config:\n  cordon:account: "123456789012"\n  cordon:organization:\n    targets: [r-abcd]\n    managementAccount: "123456789012"\n';
    return all;
  }

  it("passes an account the bootstrap set up, whose organization has SCPs enabled", async () => {
    const Roots = await accountWithoutGap();
    const { code, stdout, stderr } = await doctor(
      repository(files()),
      ["--aws", "--repository", REPOSITORY],
      suite.current().env,
    );
    expect(stderr).toBe("");
    expect(stdout.split("\n").filter((line) => line.startsWith(`✓ ${ACCOUNT}:`))).toEqual([
      `✓ ${ACCOUNT}: GitHub's OIDC provider: arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com accepts sts.amazonaws.com`,
      `✓ ${ACCOUNT}: role cordon-deployer: trust and 2 policies as the bootstrap declares them`,
      `✓ ${ACCOUNT}: role cordon-preview: trust and 2 policies as the bootstrap declares them`,
      `✓ ${ACCOUNT}: role cordon-verify: trust and policy as the bootstrap declares them`,
      `✓ ${ACCOUNT}: role cordon-contain: trust and policy as the bootstrap declares them`,
      `✓ ${ACCOUNT}: the organization's policy types: SERVICE_CONTROL_POLICY enabled on ${Roots![0].Id}`,
    ]);
    expect(code).toBe(0);
  });

  it("a role made by hand at another path than the bootstrap's is a gap", async () => {
    await suite.current().reset();
    const description = bootstrapFor(bootstrapDescription(), {
      account: ACCOUNT,
      repository: REPOSITORY,
      organizationStack: true,
    });
    await clients().iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: description.oidcProvider.url,
        ClientIDList: description.oidcProvider.clientIds,
        ThumbprintList: [],
      }),
    );
    // The contain role with the bootstrap's trust and policy, under the replacement roles' path.
    await createRoles(
      description.roles.map((role) => (role.name === "cordon-contain" ? { ...role, path: "/cordon/" } : role)),
      { settings: true },
    );
    const { code, stdout } = await doctor(
      repository(files()),
      ["--aws", "--repository", REPOSITORY],
      suite.current().env,
    );
    expect(stdout).toContain(
      `✗ ${ACCOUNT}: role cordon-contain: its path is /cordon/, not the bootstrap's / (/cordon/ is the replacement roles' path, which the deploy policy may change)\n`,
    );
    expect(stdout).toContain(`✓ ${ACCOUNT}: role cordon-verify: trust and policy as the bootstrap declares them`);
    expect(code).toBe(1);
  });

  it("reports a missing provider and role, a changed policy, an extra policy, a trust for another repository, SCPs off", async () => {
    const { iam, organizations } = clients();
    // The provider and one role gone; the deployer without its organization policy; an extra attachment; another repository.
    await suite.current().reset();
    const description = bootstrapFor(bootstrapDescription(), {
      account: ACCOUNT,
      repository: "someone/else",
      organizationStack: false,
    });
    await createRoles(
      description.roles.filter((r) => r.id !== "contain"),
      { settings: false },
    );
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: "admin",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
        }),
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: "cordon-preview", PolicyArn: Policy!.Arn }));
    // The deployer's policy edited by hand: one more action.
    const deploy = structuredClone(description.roles[0].policies[0].document);
    (deploy.Statement[0].Action as string[]).push("iam:CreateUser");
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "cordon-deployer",
        PolicyName: "cordon-deploy",
        PolicyDocument: JSON.stringify(deploy),
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: "cordon-verify",
        PolicyName: "extra",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }],
        }),
      }),
    );
    await organizations.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
    const { Roots } = await organizations.send(new ListRootsCommand({}));
    const root = Roots![0].Id!;

    const { code, stdout } = await doctor(
      repository(files()),
      ["--aws", "--repository", REPOSITORY],
      suite.current().env,
    );
    const fix = `pulumi -C bootstrap stack init bootstrap-${ACCOUNT}; pulumi -C bootstrap up --stack bootstrap-${ACCOUNT} -c cordon:account=${ACCOUNT} -c cordon:githubRepository=${REPOSITORY} -c cordon:organizationStack=true`;
    const lines = stdout.split("\n");
    expect(
      lines.slice(
        lines.findIndex((l) => l.includes(`${ACCOUNT}: GitHub`)),
        -3,
      ),
    ).toEqual([
      `✗ ${ACCOUNT}: GitHub's OIDC provider: no provider arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com: no workflow can assume a role`,
      `    fix: ${fix}`,
      `✗ ${ACCOUNT}: role cordon-deployer: its trust differs from the bootstrap's (expected repo:${REPOSITORY}:environment:cordon-apply, found repo:someone/else:environment:cordon-apply); its inline policy cordon-deploy differs from what \`cordon permissions\` derives (the code changed since the bootstrap ran, or someone edited it); no inline policy cordon-organization`,
      `    fix: ${fix}`,
      `✗ ${ACCOUNT}: role cordon-preview: its trust differs from the bootstrap's (expected repo:${REPOSITORY}:pull_request, repo:${REPOSITORY}:ref:refs/heads/gh-readonly-queue/*, found repo:someone/else:pull_request, repo:someone/else:ref:refs/heads/gh-readonly-queue/*); no inline policy cordon-preview-organization; an attached managed policy: ${Policy!.Arn}`,
      `    fix: ${fix} && aws iam detach-role-policy --role-name cordon-preview --policy-arn ${Policy!.Arn}`,
      `✗ ${ACCOUNT}: role cordon-verify: its trust differs from the bootstrap's (expected repo:${REPOSITORY}:environment:cordon-apply, repo:${REPOSITORY}:environment:cordon-contain, found repo:someone/else:environment:cordon-apply, repo:someone/else:environment:cordon-contain); an inline policy the bootstrap does not declare: extra`,
      `    fix: ${fix} && aws iam delete-role-policy --role-name cordon-verify --policy-name extra`,
      `✗ ${ACCOUNT}: role cordon-contain: missing: CORDON_AWS_CONTAIN_ROLE_ARN_TEMPLATE names it`,
      `    fix: ${fix}`,
      `✗ ${ACCOUNT}: the organization's policy types: the incident files use guardrails, but SERVICE_CONTROL_POLICY is not enabled on ${root}: their policies could not attach`,
      `    fix: aws organizations enable-policy-type --root-id ${root} --policy-type SERVICE_CONTROL_POLICY`,
    ]);
    expect(lines.at(-2)).toBe("6 gaps: run each fix, then npx cordon doctor again");
    expect(code).toBe(1);
  });

  describe("centralized root access, when an incident deletes a root user's access keys", () => {
    type IamStub = ReturnType<typeof mockIam>;
    const NAME = `${ACCOUNT}: centralized root access`;
    const WHY =
      "2026-11-28-root-key asks to delete root access keys (rootUsers[].deleteAccessKeys), which the organization stack does with sts:AssumeRoot";
    /** The repository of `files()`, with an incident that deletes a member account's root access keys. */
    function rootKeyFiles(): Record<string, string> {
      return {
        ...files(),
        "incidents/2026-11-28-root-key.yaml": stringify({
          id: "2026-11-28-root-key",
          title: "root key in a ticket",
          account: ACCOUNT,
          cutoff: "2026-11-28T10:00:00Z",
          rootUsers: [{ account: "444444444444", deleteAccessKeys: true }],
          organization: { scp: true },
        }),
      };
    }
    /**
     * doctor --aws on `repositoryFiles`, IAM's ListOrganizationsFeatures answered by `answer` (moto
     * 5.2.1 does not implement it: only that call is mocked, everything else goes to moto). Returns
     * the output and the IAM actions doctor sent.
     */
    async function run(answer: (iam: IamStub) => void, repositoryFiles = rootKeyFiles()) {
      await accountWithoutGap();
      const iam = mockIam();
      iam.send.callThrough();
      answer(iam);
      try {
        const result = await doctor(
          repository(repositoryFiles),
          ["--aws", "--repository", REPOSITORY],
          suite.current().env,
        );
        return { ...result, sent: iam.calls().map((call) => actionOfCommand("IAM", call.args[0])) };
      } finally {
        iam.restore();
      }
    }
    const refusal = (name: string) => Object.assign(new Error(name), { name });

    it("holds when IAM's trusted access and both features are enabled; the one call doctor adds is declared", async () => {
      const { code, stdout, sent } = await run((iam) =>
        iam
          .on(ListOrganizationsFeaturesCommand)
          .resolves({ OrganizationId: "o-a1b2c3d4e5", EnabledFeatures: ["RootSessions", "RootCredentialsManagement"] }),
      );
      expect(stdout).toContain(
        `✓ ${NAME}: RootCredentialsManagement and RootSessions enabled, and this account may use them: ${WHY}\n`,
      );
      expect(code).toBe(0);
      expect(sent).toContain("iam:ListOrganizationsFeatures");
      expect(sent.filter((action) => !doctorPermissions.includes(action))).toEqual([]);
    });

    it.each([
      [
        "a feature off",
        { enabled: ["RootCredentialsManagement"] },
        `${WHY}, but RootSessions is not enabled in the organization: AssumeRoot would be refused and no key deleted`,
        "aws iam enable-organizations-root-sessions",
      ],
      [
        "both features off",
        { enabled: [] },
        `${WHY}, but RootCredentialsManagement and RootSessions are not enabled in the organization: AssumeRoot would be refused and no key deleted`,
        "aws iam enable-organizations-root-credentials-management && aws iam enable-organizations-root-sessions",
      ],
      [
        "IAM's trusted access off",
        { refused: "ServiceAccessNotEnabledException" },
        `${WHY}, but IAM's trusted access is not enabled in the organization (ServiceAccessNotEnabledException): every AssumeRoot would be refused`,
        "from the management account: aws organizations enable-aws-service-access --service-principal iam.amazonaws.com && aws iam enable-organizations-root-credentials-management && aws iam enable-organizations-root-sessions",
      ],
      [
        "an account that is a delegated administrator for policies, not for IAM",
        { refused: "AccountNotManagementOrDelegatedAdministratorException" },
        `${WHY}, but account ${ACCOUNT} is neither the management account nor IAM's delegated administrator (AccountNotManagementOrDelegatedAdministratorException): AssumeRoot is refused from it; a delegated administrator for Organizations' policies is not one for IAM`,
        `from the management account: aws organizations register-delegated-administrator --service-principal iam.amazonaws.com --account-id ${ACCOUNT}`,
      ],
    ])("%s is a gap, with the command that closes it", async (_, answer, detail, fix) => {
      const { code, stdout } = await run((iam) => {
        if ("enabled" in answer)
          iam.on(ListOrganizationsFeaturesCommand).resolves({
            OrganizationId: "o-a1b2c3d4e5",
            EnabledFeatures: answer.enabled as ("RootCredentialsManagement" | "RootSessions")[],
          });
        else iam.on(ListOrganizationsFeaturesCommand).rejects(refusal(answer.refused));
      });
      const lines = stdout.split("\n");
      const at = lines.findIndex((line) => line.startsWith(`✗ ${NAME}`));
      expect(lines.slice(at, at + 2)).toEqual([`✗ ${NAME}: ${detail}`, `    fix: ${fix}`]);
      expect(lines.at(-2)).toBe("1 gap: run each fix, then npx cordon doctor again");
      expect(code).toBe(1);
    });

    it("a denied call is a gap that says so", async () => {
      const { code, stdout } = await run((iam) =>
        iam.on(ListOrganizationsFeaturesCommand).rejects(refusal("AccessDeniedException")),
      );
      expect(stdout).toContain(
        `✗ ${NAME}: ${WHY}, but IAM could not be asked whether this account may: access denied: the credentials may not call iam:ListOrganizationsFeatures; grant them the commands policy that \`cordon permissions\` prints\n    fix: run npx cordon doctor --aws with the organization stack's credentials (iam:ListOrganizationsFeatures)\n`,
      );
      expect(code).toBe(1);
    });

    it("without an incident that deletes root access keys, IAM is not asked", async () => {
      const { code, stdout, sent } = await run(
        (iam) => iam.on(ListOrganizationsFeaturesCommand).rejects(refusal("ServiceAccessNotEnabledException")),
        files(),
      );
      expect(stdout).not.toContain("centralized root access");
      expect(sent).not.toContain("iam:ListOrganizationsFeatures");
      expect(code).toBe(0);
    });
  });

  describe("auto-contain's dead-letter queue, in an account whose stack turns auto-contain on", () => {
    const QUEUE = "cordon-auto-contain-dead-letter";
    const NAME = `✗ ${ACCOUNT}: auto-contain's dead-letter queue`;
    /** The repository of `files()`, its stack turning auto-contain on. */
    function autoContainFiles(): Record<string, string> {
      const all = files();
      all["Pulumi.prod-123456789012.yaml"] +=
        '  cordon:autoContain: "true"\n  cordon:autoContainRepository: example-org/cordon-incidents\n';
      return all;
    }
    /** AWS Health's event for an exposed key, as EventBridge puts it in the queue (the event the rule matched). */
    const healthEvent = (key: string) =>
      JSON.stringify({
        "detail-type": "AWS Health Event",
        source: "aws.health",
        account: ACCOUNT,
        detail: {
          service: "RISK",
          eventTypeCode: "AWS_RISK_CREDENTIALS_EXPOSED",
          eventTypeCategory: "issue",
          affectedEntities: [{ entityValue: key }],
          affectedAccount: ACCOUNT,
        },
      });
    /** An account without gap, with the queue holding `events`; returns the queue's URL. */
    async function accountWithQueue(events: number): Promise<string> {
      await accountWithoutGap();
      const { sqs } = clients();
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: QUEUE }));
      for (let i = 0; i < events; i++)
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: healthEvent(`AKIAIOSFODNN7EXAMPL${i}`) }));
      return QueueUrl!;
    }
    const waiting = async (url: string) =>
      Number(
        (
          await clients().sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["ApproximateNumberOfMessages"] }),
          )
        ).Attributes?.ApproximateNumberOfMessages,
      );
    const run = () =>
      doctor(repository(autoContainFiles()), ["--aws", "--repository", REPOSITORY], suite.current().env);

    it("an empty queue holds", async () => {
      await accountWithQueue(0);
      const { code, stdout } = await run();
      expect(stdout).toContain(
        `✓ ${ACCOUNT}: auto-contain's dead-letter queue: ${QUEUE} (us-east-1) is empty: every exposed-key event reached GitHub\n`,
      );
      expect(code).toBe(0);
    });

    it.each([
      [1, "1 event waits", "it", "its key"],
      [3, "3 events wait", "them", "their keys"],
    ])(
      "%i event(s) waiting are a gap, named with the queue and how to dispatch each by hand; none is received",
      async (events, count, them, keys) => {
        const url = await accountWithQueue(events);
        const sqsCalls = mockClient(SQSClient);
        sqsCalls.send.callThrough();
        try {
          const { code, stdout } = await run();
          const lines = stdout.split("\n");
          const at = lines.findIndex((line) => line.startsWith(NAME));
          expect(lines.slice(at, at + 2)).toEqual([
            `${NAME}: ${count} in ${QUEUE} (us-east-1): EventBridge could not dispatch ${them} to GitHub (refused, or still throttled when its retries ran out), so ${keys} may still be active`,
            `    fix: for each message of aws sqs receive-message --region us-east-1 --queue-url ${url} --max-number-of-messages 10 --message-attribute-names All: gh workflow run contain.yml -f access-key=<detail.affectedEntities[0].entityValue of its Body> -f account=<detail.affectedAccount>, then aws sqs delete-message --region us-east-1 --queue-url ${url} --receipt-handle <its ReceiptHandle> (docs/contain.md#when-github-does-not-take-the-dispatch)`,
          ]);
          expect(lines.at(-2)).toBe("1 gap: run each fix, then npx cordon doctor again");
          expect(code).toBe(1);
          // Only the count was read, with actions doctor declares: never ReceiveMessage.
          const sent = sqsCalls.calls().map((call) => actionOfCommand("SQS", call.args[0]));
          expect(sent).toEqual(["sqs:GetQueueUrl", "sqs:GetQueueAttributes"]);
          expect(sent.filter((action) => !doctorPermissions.includes(action))).toEqual([]);
        } finally {
          sqsCalls.restore();
        }
        // Every message is still there for the one who replays it.
        expect(await waiting(url)).toBe(events);
        const received = await clients().sqs.send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }),
        );
        expect(received.Messages?.length).toBe(events);
      },
    );

    it("no queue at all is a gap: the stack was not applied since auto-contain was turned on", async () => {
      await accountWithoutGap();
      const { code, stdout } = await run();
      expect(stdout).toContain(
        `${NAME}: prod-123456789012 turns auto-contain on, but there is no queue ${QUEUE} (us-east-1): an event GitHub refuses would be lost\n    fix: pulumi up --stack prod-123456789012\n`,
      );
      expect(code).toBe(1);
    });

    it("without auto-contain, the queue is not asked about", async () => {
      await accountWithQueue(2);
      const sqsCalls = mockClient(SQSClient);
      sqsCalls.send.callThrough();
      try {
        const { stdout } = await doctor(
          repository(files()),
          ["--aws", "--repository", REPOSITORY],
          suite.current().env,
        );
        expect(stdout).not.toContain("dead-letter");
        expect(sqsCalls.calls()).toEqual([]);
      } finally {
        sqsCalls.restore();
      }
    });
  });

  it("when AWS cannot be asked, says so and exits 2", async () => {
    process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
    const { code, stderr } = await doctor(
      repository(files()),
      ["--aws", "--repository", REPOSITORY],
      suite.current().env,
    ).finally(() => (process.env.AWS_ENDPOINT_URL = suite.current().endpoint));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^cordon doctor: /);
  });
});

/**
 * Issue 20, item 4: the contain workflow's first strike, `.github/scripts/first-strike.sh`, run as
 * the workflow will run it (bash, the AWS CLI, input through the environment only), against moto
 * behind emulators/service-credentials.ts. The exposed key is disabled by its first two calls,
 * before anything else; then every other credential of its user that no incident file names; the
 * console password and MFA devices are left to pulumi up, whose plan shows their fate first. Every
 * call it sends is declared (firstStrikePermissions). Hostile inputs are refused before any call.
 * Needs the AWS CLI (v1 here; GitHub's runners have v2, which takes the same commands).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { GetLoginProfileCommand, IAMClient, ListMFADevicesCommand } from "@aws-sdk/client-iam";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { firstStrikePermissions, listUserCredentials } from "../aws/credentials.ts";
import { awsClients } from "../aws/clients.ts";
import { EVERY_KIND, seedUser } from "./support/credentials.ts";
import { readProjectFiles } from "../plan/project.ts";
import { sameIamName } from "../incident/fields.ts";
import { motoForSuite } from "./support/moto.ts";

const SCRIPT = resolve(import.meta.dirname, "..", ".github", "scripts", "first-strike.sh");
const ACCOUNT = "123456789012";
let iam: IAMClient;
const dirs: string[] = [];

const suite = motoForSuite({ managedPolicies: false, serviceCredentials: true });
const moto = () => suite.current();
beforeAll(() => {
  iam = new IAMClient({});
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await moto().reset();
});

function workdir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "cordon-first-strike-"));
  dirs.push(dir);
  mkdirSync(join(dir, "incidents"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, "incidents", name), text);
  return dir;
}

/** The script as the workflow runs it: from the checkout, with only its environment. */
async function strike(env: Record<string, string>, cwd = workdir()) {
  const output = join(cwd, "github-output");
  writeFileSync(output, "");
  const from = moto().proxy!.calls.length;
  const run = await promisify(execFile)("bash", [SCRIPT], {
    cwd,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: cwd,
      ...moto().env,
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_CONFIG_FILE: join(cwd, "no-aws-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(cwd, "no-aws-credentials"),
      GITHUB_OUTPUT: output,
      ...env,
    },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
  return { ...run, calls: moto().proxy!.calls.slice(from), output: readFileSync(output, "utf8") };
}

const listed = async (user: string) =>
  (await listUserCredentials(awsClients(), ACCOUNT, user)).credentials.map((c) => [c.kind, c.id, c.status]);

describe("the first strike", () => {
  it("disables the exposed key with its first two calls, then every other credential of the user; the console password and MFA devices are left to pulumi up", async () => {
    const seeded = await seedUser(iam, "ci-deployer", EVERY_KIND);
    const [exposed, second] = seeded.accessKeys;
    const run = await strike({ ACCESS_KEY: exposed });
    expect([run.code, run.stderr]).toEqual([0, ""]);
    // The exposed key first: who owns it, then disable it; only then the listings.
    expect(run.calls.slice(0, 2)).toEqual(["iam:GetAccessKeyLastUsed", "iam:UpdateAccessKey"]);
    expect([...new Set(run.calls)].filter((action) => !firstStrikePermissions.includes(action))).toEqual([]);
    expect((await listed("ci-deployer")).map(([, , status]) => status)).toEqual([
      "Inactive",
      "Inactive",
      "Inactive",
      "Inactive",
      "Inactive",
      "Inactive",
    ]);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(
      new RegExp(
        `^first strike: ${exposed} \\(user ci-deployer\\) Inactive at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`,
      ),
    );
    expect(lines.slice(1).sort()).toEqual(
      [
        `first strike: access-key ${second} of user ci-deployer Inactive`,
        ...seeded.serviceSpecificCredentials.map(
          (c) => `first strike: service-specific-credential ${c.id} of user ci-deployer Inactive`,
        ),
        `first strike: ssh-public-key ${seeded.sshPublicKeys[0]} of user ci-deployer Inactive`,
        `first strike: signing-certificate ${seeded.signingCertificates[0]} of user ci-deployer Inactive`,
        "first strike: 6 credentials of user ci-deployer Inactive, 0 left to the incident files, 0 problems",
        "",
      ].sort(),
    );
    expect(run.output).toBe("user=ci-deployer\ndisabled=6\nleft=0\n");
    // Deleting a console password cannot be undone: it waits for pulumi up, whose plan says so first.
    await expect(iam.send(new GetLoginProfileCommand({ UserName: "ci-deployer" }))).resolves.toBeDefined();
    expect((await iam.send(new ListMFADevicesCommand({ UserName: "ci-deployer" }))).MFADevices).toHaveLength(1);
  });

  it("leaves a credential an incident file names (it may keep it), and disables the rest; a second run changes nothing more", async () => {
    const seeded = await seedUser(iam, "ci-deployer", { accessKeys: 2, sshPublicKeys: 1 });
    const [exposed, second] = seeded.accessKeys;
    const cwd = workdir({
      "2026-11-20-older.yaml": `id: 2026-11-20-older\nusers:\n  - name: ci-deployer\n    keep: { sshPublicKeys: [${seeded.sshPublicKeys[0]}] }\n`,
    });
    const run = await strike({ ACCESS_KEY: exposed }, cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `first strike: ssh-public-key ${seeded.sshPublicKeys[0]} of user ci-deployer left as it is: an incident file names it (pulumi up decides, by its keep:)\n`,
    );
    expect(await listed("ci-deployer")).toEqual(
      expect.arrayContaining([
        ["access-key", exposed, "Inactive"],
        ["access-key", second, "Inactive"],
        ["ssh-public-key", seeded.sshPublicKeys[0], "Active"],
      ]),
    );
    const again = await strike({ ACCESS_KEY: exposed }, cwd);
    expect(again.code).toBe(0);
    expect(again.stdout.split("\n").slice(1)).toEqual([
      `first strike: ssh-public-key ${seeded.sshPublicKeys[0]} of user ci-deployer left as it is: an incident file names it (pulumi up decides, by its keep:)`,
      "first strike: 1 credentials of user ci-deployer Inactive, 1 left to the incident files, 0 problems",
      "",
    ]);
  });

  it("a user name with every character IAM allows", async () => {
    const seeded = await seedUser(iam, "ci+deploy=1,a.b@c_d-e", { accessKeys: 2 });
    const run = await strike({ ACCESS_KEY: seeded.accessKeys[0] });
    expect(run.code).toBe(0);
    expect((await listed("ci+deploy=1,a.b@c_d-e")).map(([, , status]) => status)).toEqual(["Inactive", "Inactive"]);
  });

  it("a key IAM does not know: exit 1, said, and the workflow goes on to pulumi up", async () => {
    const run = await strike({ ACCESS_KEY: "AKIAIOSFODNN7EXAMPLE" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^::error title=cordon first strike::IAM did not say whose key AKIAIOSFODNN7EXAMPLE is \(.*NoSuchEntity.*\): pulumi up contains it from the incident file\n$/,
    );
  });
});

describe("a user main's Pulumi.yaml protects (cordon:protectedPrincipals): only the exposed key is disabled", () => {
  /** main's Pulumi.yaml as docs/program.md writes the setting, listing `listed`. */
  const projectFile = (listed: string[]) =>
    `name: cordon\nruntime: nodejs\nconfig:\n  cordon:protectedPrincipals:\n    type: array\n    items: { type: string }\n    default:\n${listed.map((p) => `      - "${p}"\n`).join("")}`;
  const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-";
  const nameArb = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 20 });
  const recase = (name: string, flips: boolean[]) =>
    [...name]
      .map((c, i) => (flips[i % flips.length] ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c))
      .join("");

  it("generated names: the user's other credentials are left exactly when the setting names it (any case, the name whole), as the product reads the setting", async () => {
    await fc.assert(
      fc.asyncProperty(
        nameArb,
        fc.constantFrom("same", "longer", "shorter", "other"),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        nameArb,
        async (user, relation, flips, other) => {
          await moto().reset();
          const listedName =
            relation === "same"
              ? recase(user, flips)
              : relation === "longer"
                ? `${user}${other}`
                : relation === "shorter" && user.length > 1
                  ? user.slice(0, -1)
                  : other;
          const cwd = workdir();
          const project = projectFile([`user/${listedName}`, "role/breakglass-admin"]);
          writeFileSync(join(cwd, "main-Pulumi.yaml"), project);
          // The product's own reading of the file: what the script must agree with.
          const read = readProjectFiles({ path: "Pulumi.yaml", text: project }, []);
          expect(read.problems).toEqual([]);
          const isProtected = read.protectedPrincipals.some((p) => p.type === "user" && sameIamName(p.name, user));
          const seeded = await seedUser(iam, user, { accessKeys: 2 });
          const [exposed, second] = seeded.accessKeys;
          const run = await strike({ ACCESS_KEY: exposed, PROJECT_FILE: join(cwd, "main-Pulumi.yaml") }, cwd);
          expect(run.code).toBe(0);
          expect(await listed(user)).toEqual(
            expect.arrayContaining([
              ["access-key", exposed, "Inactive"],
              ["access-key", second, isProtected ? "Active" : "Inactive"],
            ]),
          );
          expect(run.stdout.includes(`first strike: user ${user} is protected`)).toBe(isProtected);
        },
      ),
      // Each run seeds a user and runs the script's AWS CLI calls against moto: a few seconds.
      { numRuns: 6 },
    );
  }, 120_000);

  it("says why, calls nothing after the key, and counts the key alone", async () => {
    const seeded = await seedUser(iam, "breakglass", { accessKeys: 2, sshPublicKeys: 1 });
    const cwd = workdir();
    writeFileSync(join(cwd, "main-Pulumi.yaml"), projectFile(["user/BreakGlass"]));
    const run = await strike({ ACCESS_KEY: seeded.accessKeys[0], PROJECT_FILE: join(cwd, "main-Pulumi.yaml") }, cwd);
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(run.calls).toEqual(["iam:GetAccessKeyLastUsed", "iam:UpdateAccessKey"]);
    expect(run.stdout.split("\n").slice(1)).toEqual([
      `first strike: user breakglass is protected (cordon:protectedPrincipals of main's Pulumi.yaml names it, or it could not be read): only ${seeded.accessKeys[0]} is set Inactive; its other credentials are left to pulumi up, once a reviewer decides`,
      "",
    ]);
    expect(run.output).toBe("user=breakglass\ndisabled=1\nleft=0\n");
    expect((await listed("breakglass")).map(([, , status]) => status)).toEqual(["Inactive", "Active", "Active"]);
  });

  it("a Pulumi.yaml given that cannot be read: every user counts as protected (the side the script errs on)", async () => {
    const seeded = await seedUser(iam, "ci-deployer", { accessKeys: 2 });
    const cwd = workdir();
    const run = await strike({ ACCESS_KEY: seeded.accessKeys[0], PROJECT_FILE: join(cwd, "missing.yaml") }, cwd);
    expect(run.code).toBe(0);
    expect((await listed("ci-deployer")).map(([, , status]) => status)).toEqual(["Inactive", "Active"]);
  });
});

describe("a call that fails is said, from the start of its error, on one line", () => {
  /** The warning the script printed for the listing of `kind`, and the error inside it. */
  const warningOf = (stdout: string, kind: string) => {
    const line = stdout.split("\n").find((l) => l.includes(`could not list the ${kind}s`)) ?? "";
    const error = /\((.*)\): pulumi up lists them again$/.exec(line)?.[1];
    return { line, error };
  };

  it("an HTML page instead of IAM's answer (a proxy in front of it failing): the error's start is kept, its cut marked, and the rest goes on", async () => {
    const seeded = await seedUser(iam, "ci-deployer", { accessKeys: 2, sshPublicKeys: 1 });
    const page =
      "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>\n";
    moto().proxy!.fault("ListSSHPublicKeys", { status: 400, contentType: "text/html", body: page.repeat(4) });
    const run = await strike({ ACCESS_KEY: seeded.accessKeys[0] });
    expect(run.code).toBe(0);
    const { line, error } = warningOf(run.stdout, "ssh-public-key");
    expect(
      line.startsWith("::warning title=cordon first strike::could not list the ssh-public-keys of user ci-deployer ("),
    ).toBe(true);
    // botocore's words, from their first letter: what went wrong comes first.
    expect(error).toMatch(
      /^Unable to parse response \(.*\), invalid XML received\. Further retries may succeed: b'<html>/,
    );
    expect(error!.endsWith("...")).toBe(true);
    expect(error!.length).toBe(303);
    expect(run.stdout).toContain(`first strike: access-key ${seeded.accessKeys[1]} of user ci-deployer Inactive\n`);
    expect(run.stdout).toContain(
      "first strike: 2 credentials of user ci-deployer Inactive, 0 left to the incident files, 1 problems\n",
    );
  });

  it("a short error is whole, its lines joined, a % escaped for the annotation", async () => {
    const seeded = await seedUser(iam, "ci-deployer", { accessKeys: 1 });
    moto().proxy!.fault("ListSigningCertificates", {
      status: 403,
      contentType: "text/xml",
      body: `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>denied at 100% by\r\nan SCP</Message></Error><RequestId>1</RequestId></ErrorResponse>`,
    });
    const run = await strike({ ACCESS_KEY: seeded.accessKeys[0] });
    expect(run.code).toBe(0);
    expect(warningOf(run.stdout, "signing-certificate").line).toBe(
      "::warning title=cordon first strike::could not list the signing-certificates of user ci-deployer (An error occurred (AccessDenied) when calling the ListSigningCertificates operation: denied at 100%25 by an SCP): pulumi up lists them again",
    );
  });
});

describe("hostile input is refused before any AWS call, never echoed, never run", () => {
  it.each([
    ["", "found 0 characters, not shown"],
    ["akiaiosfodnn7example", "found 20 characters, not shown"],
    ["AKIAIOSFODNN7EXAMPL", "found 19 characters, not shown"],
    ["AKIAIOSFODNN7EXAMPLE; touch pwned", "found 33 characters, not shown"],
    ["AKIAIOSFODNN7EXAMPLE\ntouch pwned", "found 32 characters, not shown"],
    ["$(touch pwned)", "found 14 characters, not shown"],
    ["`touch pwned`", "found 13 characters, not shown"],
    ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "found 40 characters, not shown"],
  ])("ACCESS_KEY %j", async (value, found) => {
    const cwd = workdir();
    const run = await strike({ ACCESS_KEY: value }, cwd);
    expect(run).toMatchObject({ code: 2, stdout: "", calls: [] });
    expect(run.stderr).toBe(
      `::error title=cordon first strike::ACCESS_KEY: expected an access key id, AKIA followed by 16 of A-Z and 0-9 (${found})\n`,
    );
    expect(existsSync(join(cwd, "pwned"))).toBe(false);
  });

  it("a temporary key is refused with its own message", async () => {
    const run = await strike({ ACCESS_KEY: "ASIAIOSFODNN7EXAMPLE" });
    expect(run).toMatchObject({ code: 2, stdout: "", calls: [] });
    expect(run.stderr).toBe(
      "::error title=cordon first strike::ACCESS_KEY is a temporary key (ASIA...): it cannot be disabled, and expires by itself\n",
    );
  });

  it("generated values: nothing but a key id gets through, and nothing is ever called or echoed", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc
            .stringMatching(/^AKIA[A-Z0-9]{16}$/)
            .map((k) => `${k}${fc.sample(fc.constantFrom(" ", ";", "\n", "$", "`", "x"), 1)[0]}`),
        ),
        async (value) => {
          fc.pre(!/^AKIA[A-Z0-9]{16}$/.test(value) && !value.includes("\u0000"));
          const run = await strike({ ACCESS_KEY: value });
          expect(run.code).toBe(2);
          expect(run.calls).toEqual([]);
          if (value.length >= 4) expect(run.stderr).not.toContain(value);
        },
      ),
      { numRuns: 25 },
    );
  });
});

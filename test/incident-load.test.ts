import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { usageOutput } from "./support/usage.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadIncidentPaths, readIncidentSources } from "../incident/read.ts";
import { describe, expect, it } from "vitest";
import { loadIncidents } from "../incident/load.ts";
import type { SourceFile } from "../incident/types.ts";
import { MAX_FILE_BYTES } from "../incident/yaml.ts";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import { displayValue } from "../incident/display.ts";
import { buildPlan } from "../plan/plan.ts";
import { main } from "../cli/main.ts";
import { memoryIo } from "../cli/io.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
/** The organization the valid fixtures are planned for: its root, and its management account. */
const FIXTURE_ORGANIZATION = { targets: ["r-abcd"], managementAccount: "999999999999" };
const INVALID = "test/fixtures/invalid";
const VALID = "test/fixtures/valid";

const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
const source = (path: string): SourceFile => ({ path, text: readFileSync(path, "utf8") });

describe("invalid fixtures: each file yields exactly its listed errors, as validate prints them", () => {
  it.each(yamlFiles(INVALID))("%s", (file) => {
    const path = join(INVALID, file);
    const expected = readFileSync(path.replace(/\.yaml$/, ".errors"), "utf8")
      .trim()
      .split("\n");
    const result = loadIncidents([source(path)], { now: NOW });
    // Invisible characters are shown escaped (incident/display.ts), here as on the terminal.
    expect(result.errors.map((e) => displayValue(formatDiagnostic(e)).replace(`${INVALID}/`, ""))).toEqual(expected);
    expect(result.incidents).toEqual([]);
  });
});

describe("valid fixtures: each file yields exactly its plan", () => {
  it.each(yamlFiles(VALID))("%s", (file) => {
    const path = join(VALID, file);
    const expected = JSON.parse(readFileSync(path.replace(/\.yaml$/, ".plan.json"), "utf8"));
    const result = loadIncidents([source(path)], { now: NOW });
    expect(result.errors).toEqual([]);
    // As a plan of every account: the guardrails too, with the organization's configuration.
    expect(JSON.parse(JSON.stringify(buildPlan(result.incidents, { organization: FIXTURE_ORGANIZATION })))).toEqual(
      expected,
    );
  });
});

const incident = (id: string, body: string) => ({
  path: `incidents/${id}.yaml`,
  text: `id: ${id}\ntitle: t\naccount: "123456789012"\ncutoff: 2026-11-28T10:00:00Z\n${body}`,
});

describe("rules across files", () => {
  it("rejects one id in two files (.yaml and .yml)", () => {
    const a = incident("same-id", "users: [{ name: a }]\n");
    const b = { ...a, path: "incidents/other/same-id.yml" };
    expect(loadIncidents([a, b], { now: NOW }).errors.map(formatDiagnostic)).toEqual([
      'incidents/same-id.yaml:1:5 E_DUPLICATE_ID id "same-id" is also the id of incidents/other/same-id.yml: incident ids must be unique',
    ]);
  });

  it("rejects a key listed under two users in two incidents, and accepts it under the same user", () => {
    const a = incident("first", "users: [{ name: alice, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n");
    const b = incident("second", "users: [{ name: bob, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n");
    expect(loadIncidents([a, b], { now: NOW }).errors.map(formatDiagnostic)).toEqual([
      'incidents/second.yaml:5:35 E_KEY_TWO_USERS users[0].accessKeys[0]: key AKIAIOSFODNN7EXAMPLE is listed under user "alice" in incidents/first.yaml: an access key belongs to exactly one user',
    ]);
    const c = incident("third", "users: [{ name: alice, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n");
    expect(loadIncidents([a, c], { now: NOW }).errors).toEqual([]);
  });

  it("rejects one key under two accounts: an access key belongs to one, and the other stack would fail to deploy", () => {
    const a = incident("first", "users: [{ name: alice, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n");
    const b = { ...incident("second", "users: [{ name: bob, accessKeys: [AKIAIOSFODNN7EXAMPLE] }]\n") };
    b.text = b.text.replace("123456789012", "210987654321");
    expect(loadIncidents([a, b], { now: NOW }).errors.map(formatDiagnostic)).toEqual([
      "incidents/second.yaml:5:35 E_KEY_TWO_ACCOUNTS users[0].accessKeys[0]: key AKIAIOSFODNN7EXAMPLE is listed under account 123456789012 in incidents/first.yaml, and here under account 210987654321: an access key belongs to exactly one account (the stack of the other would fail to deploy); list it under the user of its account",
    ]);
  });

  it("rejects a principal spelled two ways in two incidents of one account: adding the second would rename its deny policy", () => {
    const a = incident("first", "users: [{ name: deploy }]\nroles: [{ name: Deploy }]\n");
    const b = incident("second", "users: [{ name: Deploy }]\nroles: [{ name: deploy }]\n");
    expect(loadIncidents([a, b], { now: NOW }).errors.map(formatDiagnostic)).toEqual([
      'incidents/second.yaml:5:17 E_PRINCIPAL_SPELLING users[0].name: user "Deploy" is spelled "deploy" in incidents/first.yaml: spell a principal the same way in every incident (IAM ignores case, but cordon\'s resource names do not)',
      'incidents/second.yaml:6:17 E_PRINCIPAL_SPELLING roles[0].name: role "deploy" is spelled "Deploy" in incidents/first.yaml: spell a principal the same way in every incident (IAM ignores case, but cordon\'s resource names do not)',
    ]);
    const other = { ...b, text: b.text.replace("123456789012", "210987654321") };
    expect(loadIncidents([a, other], { now: NOW }).errors).toEqual([]);
    expect(
      loadIncidents([a, incident("third", "users: [{ name: deploy }]\nroles: [{ name: Deploy }]\n")], { now: NOW })
        .errors,
    ).toEqual([]);
  });

  it("rejects a replacement role declared twice, or named like a compromised role", () => {
    const role = "replacementRoles: [{ name: fresh, trust: { service: ec2.amazonaws.com } }]\n";
    const a = incident("first", `users: [{ name: a }]\n${role}`);
    const b = incident("second", `users: [{ name: b }]\n${role}`);
    const c = incident("third", "roles: [{ name: fresh }]\n");
    expect(loadIncidents([a, b, c], { now: NOW }).errors.map(formatDiagnostic)).toEqual([
      'incidents/first.yaml:6:28 E_REPLACEMENT_ROLE_CONFLICT replacementRoles[0].name: "fresh" is a compromised role in incidents/third.yaml: a replacement role must be a new, clean access path',
      'incidents/second.yaml:6:28 E_REPLACEMENT_ROLE_CONFLICT replacementRoles[0].name: "fresh" is a compromised role in incidents/third.yaml: a replacement role must be a new, clean access path',
      'incidents/second.yaml:6:28 E_REPLACEMENT_ROLE_CONFLICT replacementRoles[0].name: "fresh" is also declared in incidents/first.yaml: declare a replacement role in one incident only',
    ]);
  });

  it("returns no incident at all while any one file is invalid: never a partial plan", () => {
    const good = incident("good-one", "users: [{ name: a }]\n");
    const bad = incident("bad-one", "users: [{ name: a }]\nmode: nope\n");
    const result = loadIncidents([good, bad], { now: NOW });
    expect(result.errors).toHaveLength(1);
    expect(result.incidents).toEqual([]);
    expect(loadIncidents([good], { now: NOW }).incidents.map((i) => i.id)).toEqual(["good-one"]);
  });
});

describe("single-file limits", () => {
  it("rejects a file over 64 KiB before parsing it, and accepts one just under", () => {
    const base = incident("big-file", "users: [{ name: a }]\n");
    const padding = (n: number) => `# ${"x".repeat(n)}\n`;
    const over = { ...base, text: base.text + padding(MAX_FILE_BYTES) };
    expect(loadIncidents([over], { now: NOW }).errors.map(formatDiagnostic)).toEqual([
      "incidents/big-file.yaml:1:1 E_FILE_TOO_LARGE file has more than 65536 bytes (64 KiB), expected a small file: an incident declares a few principals and keys",
    ]);
    const under = { ...base, text: base.text + padding(MAX_FILE_BYTES - base.text.length - 4) };
    expect(Buffer.byteLength(under.text)).toBeLessThanOrEqual(MAX_FILE_BYTES);
    expect(loadIncidents([under], { now: NOW }).errors).toEqual([]);
  });

  it("reads at most one byte past the limit from disk, and reports the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "cordon-large-"));
    try {
      writeFileSync(join(dir, "huge.yaml"), `id: huge\n# ${"x".repeat(10 * MAX_FILE_BYTES)}\n`);
      const small =
        'id: small\ntitle: t\naccount: "123456789012"\ncutoff: 2026-11-28T10:00:00Z\nroles: [{ name: r }]\n';
      writeFileSync(join(dir, "small.yaml"), small);
      const read = readIncidentSources([dir], dir);
      expect(read.files.map((f) => [f.path, Buffer.byteLength(f.text)])).toEqual([
        ["huge.yaml", MAX_FILE_BYTES + 1],
        ["small.yaml", small.length],
      ]);
      expect(loadIncidentPaths([dir], dir, NOW).errors.map((e) => `${e.file} ${e.code}`)).toEqual([
        "huge.yaml E_FILE_TOO_LARGE",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ["4 minutes ahead of now is clock skew, accepted", "2026-11-28T12:04:00Z", []],
    [
      "6 minutes ahead is a future cutoff, rejected",
      "2026-11-28T12:06:00Z",
      [
        "incidents/skew.yaml:4:9 E_CUTOFF_FUTURE cutoff: found 2026-11-28T12:06:00Z, more than 5 minutes after now (2026-11-28T12:00:00Z): a future cutoff would deny sessions that were minted after containment; use the instant the key was disabled, or at-containment",
      ],
    ],
  ])("cutoff %s", (_, cutoff, expected) => {
    const file = {
      path: "incidents/skew.yaml",
      text: `id: skew\ntitle: t\naccount: "123456789012"\ncutoff: ${cutoff}\nusers: [{ name: a }]\n`,
    };
    expect(loadIncidents([file], { now: NOW }).errors.map(formatDiagnostic)).toEqual(expected);
  });

  it("accepts holdUntil at or after the computed expiry", () => {
    const file = incident("held", "users: [{ name: a }]\nholdUntil: 2026-11-29T22:00:00Z\n");
    expect(loadIncidents([file], { now: NOW }).errors).toEqual([]);
  });

  it("normalises instants to UTC and rounds a fraction of a second up (denies more, never less)", () => {
    const file = {
      path: "incidents/frac.yaml",
      text: 'id: frac\ntitle: t\naccount: "123456789012"\ncutoff: 2026-11-28T11:00:00.001+01:00\nroles: [{ name: r }]\n',
    };
    expect(loadIncidents([file], { now: NOW }).incidents[0].cutoff).toBe("2026-11-28T10:00:01Z");
  });
});

describe("validate command", () => {
  it("lists every error of every file in one run and exits 1", async () => {
    const io = memoryIo();
    const code = await main(["validate", INVALID, "--now", NOW.toISOString()], io);
    const expected = yamlFiles(INVALID).flatMap((file) =>
      readFileSync(join(INVALID, file.replace(/\.yaml$/, ".errors")), "utf8")
        .trim()
        .split("\n")
        .map((line) => `${INVALID}/${line}`),
    );
    const lines = io.stderr.trim().split("\n");
    expect(code).toBe(1);
    // The repository's project has no organization stack: the CLI also says that a root user cannot be
    // contained here (E_ROOT_ACCOUNT), which the fixtures, loaded without a project, leave out.
    const project = lines.filter((line) => line.includes(" E_ROOT_ACCOUNT "));
    expect(project.map((line) => line.split(" ")[0])).toEqual([
      `${INVALID}/root-without-scp.yaml:6:14`,
      `${INVALID}/root-without-scp.yaml:7:14`,
    ]);
    expect(lines.slice(0, -1).filter((line) => !project.includes(line))).toEqual(expected);
    expect(lines.at(-1)).toBe(
      `${expected.length + project.length} errors in ${yamlFiles(INVALID).length} files: nothing is planned while any incident file is invalid`,
    );
    expect(io.stdout).toBe("");
  });

  it("never prints the secret that a fixture contains", async () => {
    const io = memoryIo();
    await main(["validate", INVALID], io);
    expect(io.stderr + io.stdout).not.toContain("wJalrXUtnFEMI");
  });

  it("never quotes a secret pasted into a field, a field name or a list", () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const text = [
      "id: pasted",
      "title: t",
      `account: ${secret}`,
      "cutoff: 2026-11-28T10:00:00Z",
      `users: [{ name: ${secret} }]`,
      `roles: [{ name: "${secret}" }]`,
      `${secret}: 1`,
    ].join("\n");
    const result = loadIncidents([{ path: "incidents/pasted.yaml", text }], { now: NOW });
    const printed = result.errors.map(formatDiagnostic);
    expect(printed.filter((line) => line.includes("E_ACCOUNT"))).toEqual([
      'incidents/pasted.yaml:3:10 E_ACCOUNT account: found "(secret not shown)", expected an AWS account id of 12 digits',
    ]);
    expect(printed.join("\n")).not.toContain("wJalrXUtnFEMI");
  });

  it("flags a secret pasted as an environment assignment", () => {
    const text =
      'id: env\ntitle: t\naccount: "123456789012"\ncutoff: 2026-11-28T10:00:00Z\nusers: [{ name: a }]\n# AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n';
    expect(loadIncidents([{ path: "incidents/env.yaml", text }], { now: NOW }).errors.map(formatDiagnostic)).toEqual([
      "incidents/env.yaml:6:1 E_SECRET this line looks like a secret access key (not shown): never commit a secret; remove it, and treat the key as exposed",
    ]);
  });

  it("exits 0 on the examples and names them", async () => {
    const io = memoryIo();
    expect(await main(["validate", "examples/incidents"], io)).toBe(0);
    expect(io.stdout).toBe(
      "4 incidents valid: 2026-11-27-laptop-backup-key, 2026-11-28-build-key-cross-account, 2026-11-28-ci-deploy-key, 2026-11-28-key-in-ticket\n",
    );
  });

  it.each([
    [["validate", "--bogus"], "cordon validate: unknown option --bogus"],
    [
      ["validate", "--now", "yesterday"],
      'cordon validate: --now "yesterday": expected an RFC 3339 instant with offset, such as 2026-11-28T10:00:00Z',
    ],
  ])("exits 2 on a usage error: %j", async (argv, message) => {
    const io = memoryIo();
    expect(await main(argv, io)).toBe(2);
    expect(io.stderr).toBe(usageOutput(message));
  });

  it("reports a path that does not exist", async () => {
    const io = memoryIo();
    expect(await main(["validate", "no/such/dir"], io)).toBe(1);
    expect(io.stderr.split("\n")[0]).toBe("no/such/dir:1:1 E_READ no such file or folder");
  });

  it("emits GitHub annotations inside GitHub Actions", async () => {
    const io = memoryIo({ env: { GITHUB_ACTIONS: "true" } });
    await main(["validate", join(INVALID, "mode-typo.yaml")], io);
    expect(io.stderr).toContain(
      `::error file=${INVALID}/mode-typo.yaml,line=5,col=7,title=E_MODE::mode: found "deny_all", expected one of revoke-older-sessions, deny-all`,
    );
  });
});

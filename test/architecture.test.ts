/**
 * Imports follow the data: the incident format at the bottom, then the plan, then the cores and
 * shells that use it, then the command line, then the commands. A domain folder never imports the
 * command line; only aws/ speaks to the AWS SDK; only the Pulumi program speaks to Pulumi. This test
 * reads the import specifiers of every source file and fails on an import against that flow, on a
 * folder the table does not know, and (below) on a bad edge fed to it on purpose.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { circles, importGraph } from "./support/import-graph.ts";

const ROOT = join(import.meta.dirname, "..");

/**
 * Which parts may import which (each may always import itself). A part is a top-level folder, or
 * `index.ts`, the entry point of the Pulumi program.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  // The incident file format: the bottom of the flow (its schema is data).
  incident: ["schema"],
  plan: ["incident"],
  components: ["plan", "incident"],
  // The program maps the plan onto the components (program/deploy.ts).
  program: ["components", "plan", "incident"],
  // The entry point hands the program cordon's readers of IAM, through aws/ (program/iam.ts says what).
  "index.ts": ["program", "aws", "plan"],
  guard: ["plan", "incident"],
  // The one door to git (as aws/ is to AWS): what guard judges, read from revisions.
  git: ["guard", "plan", "incident"],
  assess: ["plan", "incident"],
  verify: ["plan", "incident"],
  permissions: ["plan", "incident"],
  // The accounts' roles: the second Pulumi project, and the declarations its roles' policies come from.
  bootstrap: ["components", "aws", "permissions", "plan", "incident"],
  // The policy pack: what the program must never declare, from the components' own declarations.
  policy: ["components", "plan", "incident"],
  // guard/protected-paths.ts: the allowlist says which folders the contain workflow may commit to unreviewed.
  doctor: ["permissions", "guard", "plan", "incident"],
  // The one door to GitHub's REST API (as aws/ is to AWS): what doctor --github reads, with fetch.
  github: ["doctor"],
  // The review's sources read AWS through aws/ (SDK calls only); review/'s own rooms are held by
  // test/review-architecture.test.ts (its core, outputs and log reader never import aws/).
  review: ["aws", "plan", "incident"],
  // The door to AWS implements what the cores read through (verify's LiveIam, the program's
  // DeployIam). It never imports review/: the review calls it, and decides what its answers mean.
  aws: ["assess", "verify", "program", "doctor", "plan", "incident"],
  cli: ["plan", "incident"],
  commands: [
    "cli",
    "aws",
    "git",
    "assess",
    "verify",
    "permissions",
    "review",
    "guard",
    "doctor",
    "github",
    "bootstrap",
    "components",
    "plan",
    "incident",
  ],
  // Emulators stand in for AWS in tests and benchmarks: they share no code with what they test.
  emulators: [],
  bench: ["aws", "review", "plan", "incident", "emulators"],
};

/** File-level exceptions, each with its reason. */
const EXCEPTIONS: readonly { from: string; to: string; why: string }[] = [
  { from: "cli/main.ts", to: "commands", why: "the entry point loads each command by name, lazily" },
];

/** Packages only some parts may import. */
const PACKAGES: readonly { prefix: string; only: readonly string[] }[] = [
  // Besides aws/, the engine stand-in (emulators/engine, test tooling) calls AWS: it plays the AWS provider.
  { prefix: "@aws-sdk/", only: ["aws", "emulators"] },
  { prefix: "@smithy/", only: ["aws"] },
  // The stand-in serves the engine's gRPC services with the stubs the SDK ships, and nothing else of it.
  { prefix: "@pulumi/pulumi/proto/", only: ["emulators"] },
  { prefix: "@pulumi/", only: ["components", "program", "index.ts", "bootstrap", "policy"] },
  { prefix: "@pulumiverse/", only: ["components", "program", "index.ts"] },
];

interface SourceImports {
  /** The file, relative to the repository root, `/`-separated. */
  path: string;
  specifiers: string[];
}

/** The part a repository path belongs to: its top-level folder, or the file itself at the top. */
function partOf(path: string): string {
  return path.split("/")[0];
}

/** Every import against the flow, as `FROM -> TO: reason`. */
function violations(files: readonly SourceImports[]): string[] {
  const out: string[] = [];
  for (const { path, specifiers } of files) {
    const from = partOf(path);
    const allowed = MAY_IMPORT[from];
    if (allowed === undefined) {
      out.push(`${path}: ${from} is not in the table of parts`);
      continue;
    }
    for (const specifier of specifiers) {
      if (specifier.startsWith(".")) {
        const target = normalize(join(dirname(path), specifier))
          .split("\\")
          .join("/");
        const to = partOf(target);
        if (to === from || allowed.includes(to)) continue;
        if (EXCEPTIONS.some((e) => e.from === path && e.to === to)) continue;
        out.push(`${path} -> ${target}: ${from} may not import ${to}`);
      } else {
        const rule = PACKAGES.find((p) => specifier.startsWith(p.prefix));
        if (rule !== undefined && !rule.only.includes(from))
          out.push(`${path} -> ${specifier}: only ${rule.only.join(", ")} may import ${rule.prefix}*`);
      }
    }
  }
  return out;
}

const STATIC_IMPORT = /^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/gm;
const BARE_IMPORT = /^\s*import\s*["']([^"']+)["']/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;
const REQUIRE = /\brequire\(\s*["']([^"']+)["']\s*\)/g;

function specifiersOf(text: string): string[] {
  return [STATIC_IMPORT, BARE_IMPORT, DYNAMIC_IMPORT, REQUIRE].flatMap((pattern) =>
    [...text.matchAll(pattern)].map((match) => match[1]),
  );
}

/** Every .ts and .js source file of the repository, but the tests and what npm installs. */
function sourceFiles(): SourceImports[] {
  const files: SourceImports[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith(".") || entry.name === "node_modules" || entry.name === "test") continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|js)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        files.push({
          path: relative(ROOT, full).split("\\").join("/"),
          specifiers: specifiersOf(readFileSync(full, "utf8")),
        });
      }
    }
  };
  walk(ROOT);
  return files;
}

describe("imports follow the flow", () => {
  const files = sourceFiles();

  it("reads the whole source tree", () => {
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining(["index.ts", "incident/load.ts", "cli/cordon.js", "commands/plan.ts", "aws/iam.ts"]),
    );
    expect(files.find((f) => f.path === "cli/main.ts")?.specifiers).toContain("../commands/plan.ts");
  });

  it("no import goes against it", () => {
    expect(violations(files)).toEqual([]);
  });

  it.each([
    [
      { path: "incident/load.ts", specifiers: ["../plan/expiry.ts"] },
      "incident/load.ts -> plan/expiry.ts: incident may not import plan",
    ],
    [
      { path: "review/lookup/progress.ts", specifiers: ["../../cli/io.ts"] },
      "review/lookup/progress.ts -> cli/io.ts: review may not import cli",
    ],
    [
      { path: "aws/cloudtrail.ts", specifiers: ["../review/core/chain.ts"] },
      "aws/cloudtrail.ts -> review/core/chain.ts: aws may not import review",
    ],
    [
      { path: "plan/plan.ts", specifiers: ["../commands/plan.ts"] },
      "plan/plan.ts -> commands/plan.ts: plan may not import commands",
    ],
    [
      { path: "bench/review.bench.ts", specifiers: ["../test/support/moto.ts"] },
      "bench/review.bench.ts -> test/support/moto.ts: bench may not import test",
    ],
    [
      { path: "review/lookup/reader.ts", specifiers: ["@aws-sdk/client-cloudtrail"] },
      "review/lookup/reader.ts -> @aws-sdk/client-cloudtrail: only aws, emulators may import @aws-sdk/*",
    ],
    [
      { path: "plan/plan.ts", specifiers: ["@pulumi/pulumi"] },
      "plan/plan.ts -> @pulumi/pulumi: only components, program, index.ts, bootstrap, policy may import @pulumi/*",
    ],
    [{ path: "utils/helpers.ts", specifiers: [] }, "utils/helpers.ts: utils is not in the table of parts"],
  ])("catches a bad edge: %j", (file, violation) => {
    expect(violations([file])).toEqual([violation]);
  });
});

describe("no circle of imports", () => {
  const graph = importGraph();

  it("anywhere in the tree, inside a folder as between folders", () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(circles(graph)).toEqual([]);
  });

  it("catches one fed on purpose: two files, a file that imports itself, three files in one folder", () => {
    const bad = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["a.ts", "c.ts"]],
      ["c.ts", []],
      ["self.ts", ["self.ts"]],
      ["plan/x.ts", ["plan/y.ts"]],
      ["plan/y.ts", ["plan/z.ts"]],
      ["plan/z.ts", ["plan/x.ts"]],
    ]);
    expect(circles(bad).sort()).toEqual([["a.ts", "b.ts"], ["plan/x.ts", "plan/y.ts", "plan/z.ts"], ["self.ts"]]);
  });
});

/**
 * The pure core: the incident format (but its reader, incident/read.ts), the plan and the cores of
 * guard, verify and assess take the clock, files and the process as parameters and never reach
 * for them, so that what they decide can be tested without either (STYLE.md: "now is a
 * parameter"). Reading files, git, AWS and the clock is the shells' (cli/, commands/, git/, aws/,
 * program/).
 */
const PURE: readonly string[] = ["incident", "plan", "guard", "verify", "assess"];
const PURE_EXCEPTIONS: readonly { path: string; why: string }[] = [
  { path: "incident/read.ts", why: "the incident files' reader: the format's one door to the file system" },
];
const IMPURE: readonly { what: string; pattern: RegExp }[] = [
  { what: "the file system", pattern: /\bfrom\s*["']node:fs(?:\/promises)?["']|\brequire\(\s*["']node:fs/ },
  { what: "processes", pattern: /\bfrom\s*["']node:(?:child_process|worker_threads|cluster)["']/ },
  { what: "the network", pattern: /\bfrom\s*["']node:(?:net|http|https|dns|tls)["']/ },
  { what: "the machine", pattern: /\bfrom\s*["']node:(?:os|process)["']/ },
  { what: "the process", pattern: /\bprocess\.(?:env|argv|cwd|exit|stdout|stderr|stdin|hrtime)\b/ },
  {
    what: "the clock",
    pattern: /\bDate\.now\(|\bnew Date\(\s*\)|\bperformance\.now\(|\bset(?:Timeout|Interval|Immediate)\(/,
  },
];

/** `text` without its comments (a comment may well name the clock it does not read). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`])\/\/.*$/gm, "$1");
}

function impurities(files: readonly { path: string; text: string }[]): string[] {
  return files
    .filter((file) => PURE.includes(partOf(file.path)) && !PURE_EXCEPTIONS.some((e) => e.path === file.path))
    .flatMap((file) =>
      IMPURE.filter(({ pattern }) => pattern.test(withoutComments(file.text))).map(
        ({ what }) => `${file.path}: reaches for ${what} (the pure core takes it as a parameter)`,
      ),
    );
}

describe("the pure core does no I/O", () => {
  const files = sourceFiles().map((file) => ({ path: file.path, text: readFileSync(join(ROOT, file.path), "utf8") }));

  it("reads every file of the core", () => {
    expect(files.filter((f) => PURE.includes(partOf(f.path))).length).toBeGreaterThan(30);
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining([
        "plan/plan.ts",
        "guard/guard.ts",
        "verify/verify.ts",
        "assess/assessment.ts",
        "incident/load.ts",
      ]),
    );
  });

  it("no file of the core reaches for the file system, processes, the network, the process or the clock", () => {
    expect(impurities(files)).toEqual([]);
  });

  it.each([
    [{ path: "plan/plan.ts", text: 'import { readFileSync } from "node:fs";' }, "the file system"],
    [{ path: "guard/x.ts", text: 'import { spawnSync } from "node:child_process";' }, "processes"],
    [{ path: "verify/x.ts", text: "const now = new Date();" }, "the clock"],
    [{ path: "assess/x.ts", text: "const t = Date.now();" }, "the clock"],
    [{ path: "incident/x.ts", text: "const home = process.env.HOME;" }, "the process"],
    [{ path: "plan/x.ts", text: 'import { homedir } from "node:os";' }, "the machine"],
  ])("catches one fed on purpose: %j", (file, what) => {
    expect(impurities([file])).toEqual([`${file.path}: reaches for ${what} (the pure core takes it as a parameter)`]);
  });

  it("leaves alone what only names them in a comment, a parameter, or its own reader", () => {
    expect(
      impurities([
        { path: "plan/x.ts", text: "// never new Date() here: now is a parameter\nconst at = new Date(now);" },
      ]),
    ).toEqual([]);
    expect(impurities([{ path: "incident/read.ts", text: 'import { readdirSync } from "node:fs";' }])).toEqual([]);
    expect(impurities([{ path: "cli/x.ts", text: 'import { readdirSync } from "node:fs";' }])).toEqual([]);
  });
});

/**
 * Loads the project's Pulumi program the way the Pulumi CLI's nodejs language host does, then runs
 * it under mocks and prints what it declared as JSON on stdout.
 *
 * vitest compiles TypeScript with its own transform, so a program that works under vitest may still
 * fail under `pulumi up`. This script repeats what node_modules/@pulumi/pulumi/cmd/run/run.js does
 * for a project with `"type": "module"` and `typescript: false` in Pulumi.yaml: no ts-node, the
 * entry point from package.json's `main`, loaded with a dynamic `import()` of its file URL, and the
 * module's `default` export taken as the program. Node.js strips the types itself. (run.js itself
 * cannot be imported: it loads cmd/run/index.js, which starts the language host.)
 *
 * Usage: node pulumi-loader.ts PROJECT_DIR CONFIG_JSON ACCESS_KEYS_JSON
 */
import { readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [projectDir, configJson, accessKeysJson] = process.argv.slice(2);
const config = JSON.parse(configJson) as Record<string, string>;
const accessKeys = JSON.parse(accessKeysJson) as Record<string, string[]>;
const fromProject = createRequire(join(projectDir, "package.json"));

// run.js: `--pwd` is the project folder.
process.chdir(projectDir);
const packageObject = JSON.parse(readFileSync("package.json", "utf8")) as { type?: string; main?: string };
if (packageObject.type !== "module" || typeof packageObject.main !== "string") throw new Error("expected an ES module project with a main entry point");

const pulumi = fromProject("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
const declared: { type: string; name: string }[] = [];
await pulumi.runtime.setMocks(
  {
    newResource: ({ type, name, inputs, id }) => {
      declared.push({ type, name });
      return { id: id || `${name}-id`, state: type === "time:index/static:Static" ? { ...inputs, rfc3339: "2026-11-28T12:00:00Z" } : inputs };
    },
    call: ({ token, inputs }) => {
      if (token === "aws:index/getCallerIdentity:getCallerIdentity") return { accountId: config["cordon:account"] };
      if (token === "aws:iam/getAccessKeys:getAccessKeys") {
        return { user: inputs.user, accessKeys: (accessKeys[inputs.user] ?? []).map((accessKeyId) => ({ accessKeyId, status: "Active" })) };
      }
      throw new Error(`no answer for invoke ${token}`);
    },
  },
  "cordon",
  `prod-${config["cordon:account"]}`,
  false,
);
pulumi.runtime.setAllConfig(config, []);

// run.js: the entry point's real path, imported by file URL; a default export is the program.
const exported = (await import(pathToFileURL(realpathSync(resolve(packageObject.main))).href)) as Record<string, unknown>;
const program = Object.getOwnPropertyDescriptor(exported, "default") !== undefined ? exported.default : exported;
const outputs = await pulumi.runtime.runInPulumiStack(program instanceof Function ? (program as () => Promise<Record<string, unknown>>) : () => Promise.resolve(program as Record<string, unknown>));
await pulumi.runtime.disconnect();
// On a line of its own: the program's pulumi.log lines go to stdout too under mocks.
process.stdout.write(`\n${JSON.stringify({ exportIsFunction: program instanceof Function, types: declared.map((r) => r.type), outputs: Object.keys(outputs ?? {}) })}\n`);

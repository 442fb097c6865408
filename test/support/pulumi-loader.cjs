/**
 * Loads the project's Pulumi program the way the Pulumi CLI's nodejs language host does, then runs
 * it under mocks and prints what it declared as JSON on stdout.
 *
 * vitest compiles TypeScript with its own resolver, so a program that works under vitest may still
 * fail under `pulumi up`. This script repeats what node_modules/@pulumi/pulumi/cmd/run/run.js does
 * for a CommonJS TypeScript project: register the ts-node 7.0.1 vendored in @pulumi/pulumi with the
 * project's typescript, the project's tsconfig.json and the compiler options that run.js forces,
 * type-checking on (Pulumi's default), then `require` the project folder, which Node resolves
 * through package.json's `main`. (run.js itself cannot be required: it loads cmd/run/index.js,
 * which starts the language host on require.)
 *
 * Usage: node pulumi-loader.cjs PROJECT_DIR CONFIG_JSON ACCESS_KEYS_JSON
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const [projectDir, configJson, accessKeysJson] = process.argv.slice(2);
const config = JSON.parse(configJson);
const accessKeys = JSON.parse(accessKeysJson);
const fromProject = (id) => require.resolve(id, { paths: [projectDir] });

async function main() {
  // run.js: `--pwd` is the project folder.
  process.chdir(projectDir);

  // run.js: tsutils.loadTypeScriptCompilerOptions, then the CommonJS branch (`tsn.register`).
  const ts = require(fromProject("typescript"));
  const compilerOptions = ts.parseConfigFileTextToJson("tsconfig.json", fs.readFileSync("tsconfig.json", "utf8")).config.compilerOptions ?? {};
  const tsNode = require(path.join(path.dirname(fromProject("@pulumi/pulumi")), "vendor", "ts-node@7.0.1"));
  tsNode.register({
    compiler: fromProject("typescript"),
    transpileOnly: compilerOptions.noCheck,
    project: "tsconfig.json",
    skipProject: false,
    compilerOptions: { target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true", ...compilerOptions },
  });

  const pulumi = require(fromProject("@pulumi/pulumi"));
  const declared = [];
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
    "loader",
    false,
  );
  pulumi.runtime.setAllConfig(config, []);

  // run.js: a CommonJS program is `require`d as a folder, so that package.json's `main` decides.
  const program = require(`${projectDir}/`);
  const outputs = await pulumi.runtime.runInPulumiStack(program instanceof Function ? program : () => program);
  await pulumi.runtime.disconnect();
  process.stdout.write(JSON.stringify({ exportIsFunction: program instanceof Function, types: declared.map((r) => r.type), outputs: Object.keys(outputs ?? {}) }));
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 1;
});

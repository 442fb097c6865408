/**
 * index.ts as `pulumi preview` loads it: through the engine stand-in, which starts
 * node_modules/@pulumi/pulumi/cmd/run as the Node.js language host does, so the SDK's own loader
 * (run.js) takes the module's exports, strips no types itself and refuses what it refuses.
 */
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runEngine, stepLines } from "./support/engine.ts";
import { startMoto, type Moto } from "./support/moto.ts";
import { projectTempDir } from "./support/project-dir.ts";

let moto: Moto;
let dir: string;
beforeAll(async () => {
  moto = await startMoto({ managedPolicies: false });
  dir = projectTempDir("cordon-entrypoint-");
});
afterAll(async () => {
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the entry point", () => {
  it("is accepted by cmd/run: the program runs (through `npm run --silent engine`, as the docs say), and an empty incidents folder declares only the stack", async () => {
    const incidents = join(dir, "none");
    mkdirSync(incidents);
    const run = await runEngine("preview", {
      moto,
      stack: "prod-123456789012",
      state: join(dir, "state", "prod-123456789012.json"),
      config: { "cordon:account": "123456789012", "cordon:incidentsDir": incidents },
      viaNpm: true,
    });
    expect(run.errors).toEqual([]);
    expect(run.status).toBe(0);
    expect(stepLines(run, () => true)).toEqual(["create pulumi:pulumi:Stack cordon-prod-123456789012"]);
  });

  it("with a named export beside the default one is refused by the same loader, with its own message (the control)", async () => {
    const project = join(dir, "both-exports");
    mkdirSync(project);
    writeFileSync(
      join(project, "Pulumi.yaml"),
      "name: both\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n",
    );
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "both", type: "module", main: "index.ts" }));
    writeFileSync(
      join(project, "index.ts"),
      'export default async function program() { return {}; }\nexport const MINIMUM = ">=3.217.0";\n',
    );
    symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"), "dir");
    const run = await runEngine("preview", { moto, stack: "dev", state: join(dir, "state", "dev.json"), dir: project });
    expect(run.status).toBe(1);
    expect(run.errors.join("\n")).toContain(
      "expected entrypoint module to have either a default export or named exports but not both",
    );
  });
});

/**
 * Policy packs, run as the engine runs an analyzer plugin (pulumi/pulumi: pkg/engine/update.go,
 * LoadLocalPolicyPackAnalyzers; pkg/resource/plugin/analyzer_plugin.go, NewPolicyAnalyzer; the
 * Node.js language host's RunPlugin and its policy proxy, sdk/nodejs/cmd/pulumi-language-nodejs
 * and sdk/policy_proxy.go):
 *  - `DIR/PulumiPolicy.yaml` is read (its runtime must be nodejs here);
 *  - the pack starts as the host starts it: `node <DIR's @pulumi/pulumi/cmd/run-policy-pack>
 *    [nodeargs] <engine address> DIR`, in DIR, with the caller's environment plus the stack the
 *    proxy was configured with (PULUMI_NODEJS_ORGANIZATION, _PROJECT, _STACK, _DRY_RUN,
 *    PULUMI_CONFIG), and prints the port it serves the analyzer on;
 *  - ConfigureStack (the proxy forwards the engine's), GetAnalyzerInfo, then Configure with each
 *    policy at its own enforcement level (ReconcilePolicyPackConfig with no config file);
 *  - Analyze for each registration, with its inputs, before its step (deployment.ts), and
 *    AnalyzeStack with every resource's outputs once the steps are done.
 * What the stand-in does with the diagnostics is the engine's: deployment.ts.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { parse } from "yaml";
import type { Properties } from "./properties.ts";

const require = createRequire(import.meta.url);
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb.js");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb.js");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js");

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;
export type EnforcementLevel = (typeof LEVELS)[number];

/** A resource as an analyzer sees it (analyzer.proto, AnalyzerResource). */
export interface AnalyzedResource {
  urn: string;
  type: string;
  name: string;
  /** Inputs for Analyze, outputs for AnalyzeStack. */
  properties: Properties;
  ignoreChanges: string[];
  parent: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  provider?: { urn: string; type: string; name: string; properties: Properties };
}

/** One diagnostic of a policy (analyzer.proto, AnalyzeDiagnostic). */
export interface Violation {
  pack: string;
  version: string;
  policy: string;
  level: EnforcementLevel;
  /** The policy's description, then what it reported, on the next line (as @pulumi/policy words it). */
  message: string;
  /** The resource it is about: the analyzed one, or the one a stack policy named; "" for the stack. */
  urn: string;
}

/** The stack the engine configures each pack with (AnalyzerStackConfigureRequest). */
export interface StackInfo {
  organization: string;
  project: string;
  stack: string;
  dryRun: boolean;
  /** Every config value by its full key (`cordon:account`). */
  config: Record<string, string>;
}

export interface PolicyPack {
  name: string;
  version: string;
  analyze(resource: AnalyzedResource): Promise<Violation[]>;
  analyzeStack(resources: AnalyzedResource[]): Promise<Violation[]>;
  close(): void;
}

type Client = Record<
  string,
  (request: unknown, callback: (error: grpc.ServiceError | null, response: any) => void) => void
> & {
  close(): void;
};

function call<T>(client: Client, method: string, request: unknown): Promise<T> {
  return new Promise((done, fail) =>
    client[method](request, (error, response) => (error ? fail(error) : done(response as T))),
  );
}

/** Starts the pack in `dir` as the engine and the Node.js host do, and configures it for `stack`. */
export async function startPolicyPack(
  dir: string,
  engineAddress: string,
  stack: StackInfo,
  stderr: NodeJS.WritableStream,
): Promise<PolicyPack> {
  const path = resolve(dir);
  const projectFile = join(path, "PulumiPolicy.yaml");
  if (!existsSync(projectFile))
    throw new Error(`failed to load Pulumi policy project located at "${path}": no PulumiPolicy.yaml`);
  const project = (parse(readFileSync(projectFile, "utf8")) ?? {}) as {
    runtime?: string | { name?: string; options?: Record<string, unknown> };
  };
  const runtime = typeof project.runtime === "string" ? project.runtime : project.runtime?.name;
  if (runtime !== "nodejs")
    throw new Error(
      `the engine stand-in runs Node.js policy packs only; ${projectFile} says runtime ${JSON.stringify(runtime ?? null)}`,
    );
  const options = (typeof project.runtime === "object" ? project.runtime.options : undefined) ?? {};

  let runPath: string;
  try {
    // The host locates the runner from the pack's folder: the pack's own @pulumi/pulumi runs it.
    runPath = createRequire(join(path, "package.json")).resolve("@pulumi/pulumi/cmd/run-policy-pack");
  } catch {
    throw new Error(
      `it looks like the policy pack's dependencies are not installed; try running npm install or yarn install in "${path}"`,
    );
  }
  const nodeArgs = typeof options.nodeargs === "string" ? options.nodeargs.split(/\s+/).filter(Boolean) : [];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_NODEJS_ORGANIZATION: stack.organization,
    PULUMI_NODEJS_PROJECT: stack.project,
    PULUMI_NODEJS_STACK: stack.stack,
    PULUMI_NODEJS_DRY_RUN: String(stack.dryRun),
    PULUMI_CONFIG: JSON.stringify(stack.config),
  };
  if (options.typescript === true) env.PULUMI_NODEJS_TYPESCRIPT = "true";
  if (typeof options.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = options.tsconfig;
  const child = spawn(process.execPath, [runPath, ...nodeArgs, engineAddress, path], {
    cwd: path,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stderr?.pipe(stderr, { end: false });
  const port = await firstLine(child, path);
  // The rest of what the pack prints is the plugin's output, never a step.
  child.stdout?.pipe(stderr, { end: false });

  const client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as Client;
  const configure = new analyzerPb.AnalyzerStackConfigureRequest();
  configure.setStack(stack.stack);
  configure.setProject(stack.project);
  configure.setOrganization(stack.organization);
  configure.setDryRun(stack.dryRun);
  for (const [key, value] of Object.entries(stack.config)) configure.getConfigMap().set(key, value);
  await call(client, "configureStack", configure);
  const info = await call<any>(client, "getAnalyzerInfo", new Empty());
  const name: string = info.getName();
  const version: string = info.getVersion();
  if (info.getSupportsconfig()) {
    const request = new analyzerPb.ConfigureAnalyzerRequest();
    for (const policy of info.getPoliciesList()) {
      const config = new analyzerPb.PolicyConfig();
      config.setEnforcementlevel(policy.getEnforcementlevel());
      config.setProperties(Struct.fromJavaScript({}));
      request.getPolicyconfigMap().set(policy.getName(), config);
    }
    await call(client, "configure", request);
  }

  const violations = (response: any, urn: string): Violation[] =>
    response.getDiagnosticsList().map((d: any) => ({
      pack: d.getPolicypackname(),
      version: d.getPolicypackversion(),
      policy: d.getPolicyname(),
      level: LEVELS[d.getEnforcementlevel()] ?? "mandatory",
      message: d.getMessage(),
      urn: d.getUrn() || urn,
    }));
  return {
    name,
    version,
    async analyze(resource) {
      const request = described(new analyzerPb.AnalyzeRequest(), resource);
      return violations(await call(client, "analyze", request), resource.urn);
    },
    async analyzeStack(resources) {
      const request = new analyzerPb.AnalyzeStackRequest();
      request.setResourcesList(
        resources.map((resource) => {
          const message = described(new analyzerPb.AnalyzerResource(), resource);
          message.setParent(resource.parent);
          message.setDependenciesList(resource.dependencies);
          for (const [key, urns] of Object.entries(resource.propertyDependencies)) {
            if (urns.length === 0) continue;
            const dependencies = new analyzerPb.AnalyzerPropertyDependencies();
            dependencies.setUrnsList(urns);
            message.getPropertydependenciesMap().set(key, dependencies);
          }
          return message;
        }),
      );
      return violations(await call(client, "analyzeStack", request), "");
    },
    close() {
      client.close();
      child.kill();
    },
  };
}

/**
 * What AnalyzeRequest and AnalyzerResource both carry: the resource, its properties, the options an
 * analyzer sees (analyzer.proto: no `import`, no `retainOnDelete`) and its provider.
 */
function described<T>(message: T, resource: AnalyzedResource): T {
  const m = message as any;
  m.setUrn(resource.urn);
  m.setType(resource.type);
  m.setName(resource.name);
  m.setProperties(Struct.fromJavaScript(resource.properties));
  const options = new analyzerPb.AnalyzerResourceOptions();
  options.setIgnorechangesList(resource.ignoreChanges);
  options.setParent(resource.parent);
  m.setOptions(options);
  if (resource.provider) m.setProvider(providerResource(resource.provider));
  return message;
}

function providerResource(provider: NonNullable<AnalyzedResource["provider"]>): unknown {
  const message = new analyzerPb.AnalyzerProviderResource();
  message.setUrn(provider.urn);
  message.setType(provider.type);
  message.setName(provider.name);
  message.setProperties(Struct.fromJavaScript(provider.properties));
  return message;
}

/** The port the pack prints first; its failure to start, with what it said, otherwise. */
function firstLine(child: ChildProcess, path: string): Promise<string> {
  return new Promise((done, fail) => {
    let out = "";
    const onData = (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const line = /^(\d+)\r?\n/.exec(out);
      if (line) {
        child.stdout?.off("data", onData);
        done(line[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.once("error", (error) => fail(new Error(`policy pack "${path}" failed to start: ${error.message}`)));
    child.once("exit", (code) =>
      fail(new Error(`policy pack "${path}" failed to start: it exited (${code}) before serving`)),
    );
  });
}

/** A violation as the CLI shows it (pkg/backend/display/diff.go, renderDiffPolicyViolationEvent), its message indented. */
export function violationText(violation: Violation): string {
  const [, , qualified = "", name = ""] = violation.urn.split("::");
  const type = qualified.split("$").pop() ?? "";
  const about = violation.urn ? `  (${type}: ${name})` : "";
  const message = violation.message.replace(/\n$/, "").split("\n").join("\n    ");
  return `${violation.pack}@v${violation.version} [${violation.level}]  ${violation.policy}${about}\n    ${message}`;
}

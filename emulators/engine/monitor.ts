/**
 * The two gRPC services a Pulumi program talks to, served on loopback with the service definitions
 * and messages that @pulumi/pulumi ships (its proto/ folder) and @grpc/grpc-js: the resource
 * monitor (registrations, reads, invokes, the stack's outputs, shutdown) and the engine (logs, the
 * root resource, the CLI version). Each call is handed to the deployment; this file only converts.
 */
import { createRequire } from "node:module";
import * as grpc from "@grpc/grpc-js";
import { Cancelled, type Deployment, type Goal } from "./deployment.ts";
import { decodeProperties, type Properties } from "./properties.ts";

const require = createRequire(import.meta.url);
// The SDK's own generated stubs: the same wire format the engine and the SDK agree on.
const resourceGrpc = require("@pulumi/pulumi/proto/resource_grpc_pb.js");
const resourcePb = require("@pulumi/pulumi/proto/resource_pb.js");
const engineGrpc = require("@pulumi/pulumi/proto/engine_grpc_pb.js");
const enginePb = require("@pulumi/pulumi/proto/engine_pb.js");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js");

/** What the monitor supports, as the engine of that version advertises it (resource_pb.js, ResourceMonitorFeature). */
const FEATURES = ["SECRETS", "RESOURCE_REFERENCES", "OUTPUT_VALUES", "ALIAS_SPECS"].map(
  (name) => resourcePb.ResourceMonitorFeature[`RESOURCE_MONITOR_FEATURE_${name}`],
);
const LEGACY_FEATURES = new Set(["secrets", "resourceReferences", "outputValues", "aliasSpecs"]);
const SEVERITY = ["debug", "info", "warning", "error"];

export interface MonitorOptions {
  deployment: Deployment;
  /** The CLI version `RequirePulumiVersion` is answered as (the workflows pin the CLI to the SDK's version). */
  cliVersion: string;
  project: string;
  stack: string;
  organization: string;
  dryRun: boolean;
  /** A diagnostic the program logged (`pulumi.log.*`, or the error it failed with). */
  log(severity: string, message: string): void;
}

export interface Servers {
  monitor: string;
  engine: string;
  /** True once the program logged an error. */
  loggedError(): boolean;
  stop(): Promise<void>;
}

type Callback = (error: grpc.ServiceError | null, response?: unknown) => void;
type Call = { request: any };

const failure = (code: grpc.status, details: string): grpc.ServiceError =>
  Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
const unimplemented = (name: string) => (_call: Call, callback: Callback) =>
  callback(failure(grpc.status.UNIMPLEMENTED, `the engine stand-in does not implement ${name}`));

/** Answers a call from a promise: an error is an UNKNOWN status with its message, a cancellation UNAVAILABLE. */
function answer(callback: Callback, work: () => Promise<unknown>): void {
  work().then(
    (response) => callback(null, response),
    (error: Error) => {
      if (error instanceof Cancelled)
        callback(failure(grpc.status.UNAVAILABLE, "resource monitor shut down while waiting on step's done channel"));
      else callback(failure(grpc.status.UNKNOWN, error.message));
    },
  );
}

const struct = (properties: Properties) => Struct.fromJavaScript(properties);

export async function serve(options: MonitorOptions): Promise<Servers> {
  const { deployment } = options;
  let root = "";
  let errorLogged = false;

  const monitor = new grpc.Server();
  monitor.addService(resourceGrpc.ResourceMonitorService, {
    getDeploymentInfo(_call: Call, callback: Callback) {
      const info = new resourcePb.DeploymentInfo();
      info.setProject(options.project);
      info.setStack(options.stack);
      info.setOrganization(options.organization);
      info.setDryrun(options.dryRun);
      info.setSupportedfeaturesList(FEATURES);
      callback(null, info);
    },
    supportsFeature(call: Call, callback: Callback) {
      const response = new resourcePb.SupportsFeatureResponse();
      response.setHassupport(LEGACY_FEATURES.has(call.request.getId()));
      callback(null, response);
    },
    invoke(call: Call, callback: Callback) {
      const request = call.request;
      answer(callback, async () => {
        const token: string = request.getTok();
        let returned: Properties;
        try {
          returned = await deployment.invoke(token, decodeProperties(request.getArgs()?.toJavaScript()));
        } catch (error) {
          throw new Error(`invocation of ${token} returned an error: ${(error as Error).message}`);
        }
        const response = new resourcePb.ResourceInvokeResponse();
        response.setReturn(struct(returned));
        return response;
      });
    },
    readResource(call: Call, callback: Callback) {
      const request = call.request;
      answer(callback, async () => {
        const read = await deployment.read(request.getType(), request.getName(), request.getParent(), request.getId());
        const response = new resourcePb.ReadResourceResponse();
        response.setUrn(read.urn);
        response.setId(request.getId());
        response.setProperties(struct(read.properties));
        return response;
      });
    },
    registerResource(call: Call, callback: Callback) {
      const request = call.request;
      answer(callback, async () => {
        const propertyDependencies: Record<string, string[]> = {};
        for (const [key, urns] of request.getPropertydependenciesMap().entries())
          propertyDependencies[key] = [...urns.getUrnsList()].sort();
        const goal: Goal = {
          type: request.getType(),
          name: request.getName(),
          custom: request.getCustom(),
          parent: request.getParent(),
          inputs: decodeProperties(request.getObject()?.toJavaScript()),
          dependencies: [...request.getDependenciesList()].sort(),
          propertyDependencies,
          provider: request.getProvider(),
          version: request.getVersion(),
          importId: request.getImportid(),
          retainOnDelete: request.getRetainondelete(),
          ignoreChanges: [...request.getIgnorechangesList()],
        };
        const registered = await deployment.register(goal);
        if (goal.type === "pulumi:pulumi:Stack" && !goal.parent) root = registered.urn;
        const response = new resourcePb.RegisterResourceResponse();
        response.setUrn(registered.urn);
        response.setId(registered.id);
        response.setObject(struct(registered.outputs));
        response.setResult(
          registered.result === "success"
            ? resourcePb.Result.SUCCESS
            : registered.result === "fail"
              ? resourcePb.Result.FAIL
              : 2,
        );
        return response;
      });
    },
    registerResourceOutputs(call: Call, callback: Callback) {
      deployment.registerOutputs(call.request.getUrn(), decodeProperties(call.request.getOutputs()?.toJavaScript()));
      callback(null, new Empty());
    },
    signalAndWaitForShutdown(_call: Call, callback: Callback) {
      deployment.idle().then(() => callback(null, new Empty()));
    },
    call: unimplemented("Call"),
    streamInvoke: unimplemented("StreamInvoke"),
    registerStackTransform: unimplemented("RegisterStackTransform"),
    registerStackInvokeTransform: unimplemented("RegisterStackInvokeTransform"),
    registerResourceHook: unimplemented("RegisterResourceHook"),
    registerErrorHook: unimplemented("RegisterErrorHook"),
    registerPackage: unimplemented("RegisterPackage"),
    existsResource: unimplemented("ExistsResource"),
  });

  const engine = new grpc.Server();
  engine.addService(engineGrpc.EngineService, {
    log(call: Call, callback: Callback) {
      const severity = SEVERITY[call.request.getSeverity()] ?? "info";
      if (severity === "error") errorLogged = true;
      if (severity !== "debug") options.log(severity, call.request.getMessage());
      callback(null, new Empty());
    },
    getRootResource(_call: Call, callback: Callback) {
      const response = new enginePb.GetRootResourceResponse();
      response.setUrn(root);
      callback(null, response);
    },
    setRootResource(call: Call, callback: Callback) {
      root = call.request.getUrn();
      callback(null, new enginePb.SetRootResourceResponse());
    },
    requirePulumiVersion(call: Call, callback: Callback) {
      const range: string = call.request.getPulumiVersionRange();
      const problem = versionProblem(options.cliVersion, range);
      if (problem) callback(failure(grpc.status.FAILED_PRECONDITION, problem));
      else callback(null, new enginePb.RequirePulumiVersionResponse());
    },
    startDebugging: unimplemented("StartDebugging"),
  });

  const bind = (server: grpc.Server) =>
    new Promise<string>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(`127.0.0.1:${port}`),
      ),
    );
  const [monitorAddress, engineAddress] = await Promise.all([bind(monitor), bind(engine)]);
  return {
    monitor: monitorAddress,
    engine: engineAddress,
    loggedError: () => errorLogged,
    stop: async () => {
      monitor.forceShutdown();
      engine.forceShutdown();
    },
  };
}

/** The engine's answer to a version range it cannot satisfy; the stand-in understands `>=X.Y.Z` only. */
export function versionProblem(version: string, range: string): string | undefined {
  const match = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  if (!match) return `the engine stand-in understands only ">=X.Y.Z" version ranges, not ${JSON.stringify(range)}`;
  const have = version.split(".").map(Number);
  const need = match.slice(1).map(Number);
  for (let i = 0; i < 3; i++)
    if (have[i] !== need[i])
      return have[i] > need[i]
        ? undefined
        : `Pulumi CLI version ${version} does not satisfy the version range "${range}"`;
  return undefined;
}

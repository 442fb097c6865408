/**
 * Runs cordon's policy pack over what a program registered, through @pulumi/policy's own analyzer
 * code: the requests are the engine's protobuf messages (pulumi/pulumi proto/pulumi/analyzer.proto),
 * answered by the functions the package's gRPC server serves (`makeAnalyzeRpcFun`,
 * `makeAnalyzeStackRpcFun`, the ones its own tests call), so properties go through its
 * deserialisation and unknown-value proxy, and violations through its enforcement levels.
 *
 * From a recorded run to the engine's view:
 *  - URNs as the engine builds them: the root stack's type is left out of its children's
 *    (pulumi/pulumi pkg/resource/deploy/deployment.go; the SDK's mock monitor puts it in);
 *  - Analyze gets each resource's inputs; AnalyzeStack its outputs. Under mocks the outputs are
 *    the inputs; a credential declared without `import` is created, and at preview a created
 *    credential's computed outputs (a key's secret, an SSH key's id) are unknown.
 */
import { createRequire } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import type { Properties } from "../../emulators/engine/properties.ts";
import { awsCheckConfig } from "../../emulators/engine/provider.ts";
import type { RecordedResource } from "./pulumi-mocks.ts";

const require = createRequire(import.meta.filename);
const analyzerproto = require("@pulumi/pulumi/proto/analyzer_pb.js");
const structproto = require("google-protobuf/google/protobuf/struct_pb.js");
const server = require("@pulumi/policy/server.js") as {
  makeAnalyzeRpcFun(
    name: string,
    version: string,
    level: string,
    policies: unknown[],
  ): (call: { request: unknown }, callback: (error: unknown, response?: unknown) => void) => Promise<void>;
  makeAnalyzeStackRpcFun(
    name: string,
    version: string,
    level: string,
    policies: unknown[],
  ): (call: { request: unknown }, callback: (error: unknown, response?: unknown) => void) => Promise<void>;
};

/** What the engine sends for an unknown value (pulumi.runtime's sentinel). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * What AWS gives only the call that creates a credential, as terraform-provider-aws's create sets
 * it (access_key.go `secret`; service_specific_credential.go `service_password` and
 * `service_credential_secret`, from CreateServiceSpecificCredential's answer; the ids of
 * user_ssh_key.go and signing_certificate.go, from the upload's): unknown at a preview of the
 * create, set after it. An import reads only what the credential's list or Get returns.
 */
const CREATED_OUTPUTS: Record<string, Record<string, string>> = {
  "aws:iam/accessKey:AccessKey": { secret: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
  "aws:iam/sshKey:SshKey": {
    sshPublicKeyId: "APKAEIBAERJR2EXAMPLE",
    fingerprint: "32:5b:2c:7e:ba:27:0e:7e:3a:8e:ae:ec:f2:de:90:a2",
  },
  "aws:iam/signingCertificate:SigningCertificate": { certificateId: "ID123456789012345EXAMPLE" },
  "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": {
    serviceSpecificCredentialId: "ACCAEXAMPLE123EXAMPLE",
    servicePassword: "xTBAr/czp+D3EXAMPLE47lrJ3R7GEXAMPLE=",
  },
};

/** A resource as the engine describes it to an analyzer. */
export interface AnalyzedResource {
  urn: string;
  type: string;
  name: string;
  parent: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  ignoreChanges: string[];
  protect: boolean;
}

/** The engine's URN: the root stack's type is not part of its children's. */
export function engineUrn(urn: string): string {
  return urn.replace("::pulumi:pulumi:Stack$", "::");
}

/** A recorded run's resources as the engine would send them, at preview or after up. */
export function asAnalyzed(resources: readonly RecordedResource[], options: { preview: boolean }): AnalyzedResource[] {
  return resources.map((r) => {
    const created = r.custom && r.importId === undefined;
    const outputs = { ...r.inputs };
    if (created)
      for (const [key, value] of Object.entries(CREATED_OUTPUTS[r.type] ?? {}))
        outputs[key] = options.preview ? UNKNOWN : value;
    // A provider's inputs after its CheckConfig (AWS's defaults), with the version the engine adds
    // (pulumi/pulumi providers/registry.go, SetProviderVersion); never the engine's own `__internal`,
    // which it does not hand an analyzer (plugin/analyzer_plugin.go, SkipInternalKeys).
    const checked = r.type === "pulumi:providers:aws" ? awsCheckConfig(r.inputs as Properties, {}) : r.inputs;
    const inputs = r.type.startsWith("pulumi:providers:") && r.version ? { ...checked, version: r.version } : r.inputs;
    return {
      urn: engineUrn(r.urn),
      type: r.type,
      name: r.name,
      parent: r.parent === "" ? "" : engineUrn(r.parent),
      inputs,
      outputs: r.type.startsWith("pulumi:providers:") ? inputs : outputs,
      ignoreChanges: r.ignoreChanges,
      protect: false,
    };
  });
}

async function struct(value: Record<string, unknown>): Promise<unknown> {
  // The SDK's own serialisation (outputs resolved, secrets marked), then protobuf's Struct.
  return structproto.Struct.fromJavaScript(await pulumi.runtime.serializeProperties("analyze", value));
}

function resourceOptions(r: AnalyzedResource): unknown {
  const options = new analyzerproto.AnalyzerResourceOptions();
  options.setProtect(r.protect);
  options.setIgnorechangesList(r.ignoreChanges);
  if (r.parent) options.setParent(r.parent);
  return options;
}

export interface Diagnostic {
  policy: string;
  message: string;
  enforcement: "advisory" | "mandatory" | "remediate" | "disabled";
  urn: string;
}

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"] as const;

function diagnosticsOf(
  response: {
    getDiagnosticsList(): {
      getPolicyname(): string;
      getMessage(): string;
      getEnforcementlevel(): number;
      getUrn(): string;
    }[];
  },
  urn = "",
): Diagnostic[] {
  return response.getDiagnosticsList().map((d) => ({
    policy: d.getPolicyname(),
    message: d.getMessage(),
    enforcement: LEVELS[d.getEnforcementlevel()],
    urn: d.getUrn() || urn,
  }));
}

/** The setters an AnalyzeRequest and an AnalyzerResource share (analyzer_pb.js); only the latter has a parent. */
interface ResourceMessage {
  setType(type: string): void;
  setUrn(urn: string): void;
  setName(name: string): void;
  setProperties(properties: unknown): void;
  setOptions(options: unknown): void;
  setParent?(parent: string): void;
}

/** What the pack reports over these resources: Analyze on each (its inputs), then AnalyzeStack (the outputs). */
export async function analyze(policies: unknown[], resources: readonly AnalyzedResource[]): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const analyzeOne = server.makeAnalyzeRpcFun("cordon", "0.1.0", "mandatory", policies);
  const call = (fn: typeof analyzeOne, request: unknown) =>
    new Promise<never>((resolve, reject) => {
      void fn({ request }, (error, response) => (error ? reject(error) : resolve(response as never)));
    });
  // An AnalyzeRequest and an AnalyzerResource carry a resource alike: Analyze its inputs, AnalyzeStack its outputs.
  const filled = async <M extends ResourceMessage>(message: M, r: AnalyzedResource, stack: boolean) => {
    message.setType(r.type);
    message.setUrn(r.urn);
    message.setName(r.name);
    message.setProperties(await struct(stack ? r.outputs : r.inputs));
    message.setOptions(resourceOptions(r));
    if (stack) message.setParent?.(r.parent);
    return message;
  };
  for (const r of resources) {
    const request = await filled(new analyzerproto.AnalyzeRequest(), r, false);
    out.push(...diagnosticsOf(await call(analyzeOne, request), r.urn));
  }
  const request = new analyzerproto.AnalyzeStackRequest();
  request.setResourcesList(
    await Promise.all(resources.map((r) => filled(new analyzerproto.AnalyzerResource(), r, true))),
  );
  out.push(
    ...diagnosticsOf(await call(server.makeAnalyzeStackRpcFun("cordon", "0.1.0", "mandatory", policies), request)),
  );
  return out;
}

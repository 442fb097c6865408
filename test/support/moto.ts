/**
 * A real AWS API emulator for tests: moto_server (Python moto 5.x) on a free loopback port.
 * It serves IAM and STS; it does not implement CloudTrail LookupEvents or SimulatePrincipalPolicy
 * (mock only those). The AWS SDK v3 reads AWS_ENDPOINT_URL natively, so code under test needs
 * no test-only switch. Which moto_server runs is decided once per test run by
 * test/support/global-setup.ts (see locateMoto in moto-install.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { inject } from "vitest";

export interface Moto {
  endpoint: string;
  /** Environment for the SDK (and the AWS CLI): endpoint, region and dummy credentials. */
  env: Record<string, string>;
  /** Forgets every resource: each test seeds what it needs. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export interface MotoOptions {
  /**
   * Load AWS managed policies (AdministratorAccess, ...). They make every reset cost about two
   * seconds, so tests that attach none leave them out.
   * @default true
   */
  managedPolicies?: boolean;
}

export async function startMoto(options: MotoOptions = {}): Promise<Moto> {
  const child = spawn(inject("motoServer"), ["-H", "127.0.0.1", "-p", "0"], {
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: options.managedPolicies === false ? "false" : "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("error", (error) => reject(new Error(`moto_server could not start (${inject("motoServer")}): ${error.message}`)));
    child.once("exit", (code) => reject(new Error(`moto_server exited with ${code} before listening:\n${output}`)));
  });
  await waitUntilReady(endpoint, child);
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      AWS_EC2_METADATA_DISABLED: "true",
    },
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!response.ok) throw new Error(`moto reset failed: ${response.status}`);
    },
    stop: () => stopChild(child),
  };
}

/** Points this test process's AWS SDK at moto; returns a function that restores the environment. */
export function useMotoEnv(moto: Moto): () => void {
  const saved = Object.fromEntries(Object.keys(moto.env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, moto.env);
  for (const key of ["AWS_PROFILE", "AWS_SESSION_TOKEN"]) delete process.env[key];
  return () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

async function waitUntilReady(endpoint: string, child: ChildProcess): Promise<void> {
  // Poll the condition (the API answers), not a fixed sleep; bounded so a broken install fails fast.
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error("moto_server exited");
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`moto_server at ${endpoint} did not answer`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

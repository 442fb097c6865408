/**
 * A real AWS API emulator for tests: moto_server (Python moto 5.x) on a free loopback port.
 * It serves IAM and STS; it does not implement CloudTrail LookupEvents or SimulatePrincipalPolicy
 * (mock only those). The AWS SDK v3 reads AWS_ENDPOINT_URL natively, so code under test needs
 * no test-only switch. Which moto_server runs is decided once per test run by
 * test/support/global-setup.ts (see locateMoto in emulators/moto.ts).
 */
import { afterAll, beforeAll, inject } from "vitest";
import { spawnMotoServer } from "../../emulators/moto.ts";
import { startServiceCredentialsProxy, type ServiceCredentialsProxy } from "../../emulators/service-credentials.ts";

export interface Moto {
  endpoint: string;
  /** Environment for the SDK (and the AWS CLI): endpoint, region and dummy credentials. */
  env: Record<string, string>;
  /** Forgets every resource: each test seeds what it needs. */
  reset(): Promise<void>;
  stop(): Promise<void>;
  /** With `serviceCredentials`: the proxy in front of moto that answers IAM's service-specific credentials. */
  proxy?: ServiceCredentialsProxy;
}

export interface MotoOptions {
  /**
   * Load AWS managed policies (AdministratorAccess, ...). They make every reset cost about two
   * seconds, so tests that attach none leave them out.
   * @default true
   */
  managedPolicies?: boolean;
  /**
   * Put emulators/service-credentials.ts in front of moto, which lacks IAM's service-specific
   * credentials: `endpoint` is the proxy's, which forwards everything else.
   * @default false
   */
  serviceCredentials?: boolean;
}

export async function startMoto(options: MotoOptions = {}): Promise<Moto> {
  const started = await spawnMotoServer(inject("motoServer"), options.managedPolicies !== false);
  const proxy = options.serviceCredentials === true ? await startServiceCredentialsProxy(started.endpoint) : undefined;
  const endpoint = proxy?.url ?? started.endpoint;
  const stop = async () => {
    await proxy?.close();
    await started.stop();
  };
  return {
    ...(proxy ? { proxy } : {}),
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
    stop,
  };
}

/**
 * Points this test process's AWS SDK at moto, and at nothing else: no profile, no session token, no
 * configuration or credentials file of the machine's user. Returns a function that restores the environment.
 */
export function useMotoEnv(moto: Moto): () => void {
  const env: Record<string, string | undefined> = {
    ...moto.env,
    AWS_PROFILE: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_CONFIG_FILE: "/nonexistent/cordon-test-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/cordon-test-credentials",
  };
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(env);
  return () => apply(saved);
}

/**
 * One moto for the suite (or describe block) it is called in: started before its tests, this
 * process's SDK pointed at it, stopped and the environment restored after. `current()` is the
 * running moto.
 */
export function motoForSuite(options: MotoOptions = {}): { current(): Moto } {
  let moto: Moto | undefined;
  let restore: (() => void) | undefined;
  beforeAll(async () => {
    moto = await startMoto(options);
    restore = useMotoEnv(moto);
  });
  afterAll(async () => {
    restore?.();
    await moto?.stop();
  });
  return {
    current() {
      if (moto === undefined) throw new Error("moto is not running: current() is for inside a test or a hook");
      return moto;
    },
  };
}

/**
 * A command run in-process against moto, its IAM and STS calls recorded: one moto for the file (reset
 * before each test), every call of the command goes through to it (or to what a test puts on the
 * mocks: what moto lacks), and after each test every call the command made must be one of the
 * actions it declares, so that its least-privilege policy cannot drift. Seeding goes around the
 * recording: only the command's own calls count. Shared by assess's and verify's tests.
 */
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, expect } from "vitest";
import { actionOfCommand } from "../../aws/clients.ts";
import { startMoto, useMotoEnv, type Moto, type MotoOptions } from "./moto.ts";

export function recordedIam(declared: readonly string[], options: MotoOptions) {
  let moto: Moto | undefined;
  let restoreEnv: (() => void) | undefined;
  const iamMock = mockClient(IAMClient);
  const stsMock = mockClient(STSClient);
  const iam = new IAMClient({});

  beforeAll(async () => {
    moto = await startMoto(options);
    restoreEnv = useMotoEnv(moto);
  });
  afterAll(async () => {
    iamMock.restore();
    stsMock.restore();
    restoreEnv?.();
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto?.reset();
    iamMock.reset();
    stsMock.reset();
    iamMock.send.callThrough();
    stsMock.send.callThrough();
  });
  afterEach(() => {
    const sent = [
      ...iamMock.calls().map((c) => actionOfCommand("IAM", c.args[0])),
      ...stsMock.calls().map((c) => actionOfCommand("STS", c.args[0])),
    ];
    expect(sent.filter((action) => !declared.includes(action))).toEqual([]);
  });

  return {
    iamMock,
    stsMock,
    /** Sends `command` to moto with the SDK's own `send`, around the recording. */
    seed: <T = unknown>(command: unknown): Promise<T> =>
      (iamMock.send.wrappedMethod as (c: unknown) => Promise<T>).call(iam, command),
    /** Forgets the calls recorded so far (a command run starts with none). */
    resetHistory(): void {
      iamMock.resetHistory();
      stsMock.resetHistory();
    },
  };
}

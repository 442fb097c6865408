import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, GetAccessKeyLastUsedCommand } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startMoto, useMotoEnv, type Moto } from "./support/moto.ts";

let moto: Moto;
let restore: () => void;
beforeAll(async () => {
  moto = await startMoto({ managedPolicies: false });
  restore = useMotoEnv(moto);
});
afterAll(async () => {
  restore?.();
  await moto?.stop();
});

it("serves IAM to the SDK through AWS_ENDPOINT_URL alone", async () => {
  const iam = new IAMClient({});
  await iam.send(new CreateUserCommand({ UserName: "ci-deployer" }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: "ci-deployer" }));
  const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKey!.AccessKeyId }));
  expect(used.UserName).toBe("ci-deployer");
});

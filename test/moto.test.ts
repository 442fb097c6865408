import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, GetAccessKeyLastUsedCommand } from "@aws-sdk/client-iam";
import { expect, it } from "vitest";
import { motoForSuite } from "./support/moto.ts";

motoForSuite({ managedPolicies: false });

it("serves IAM to the SDK through AWS_ENDPOINT_URL alone", async () => {
  const iam = new IAMClient({});
  await iam.send(new CreateUserCommand({ UserName: "ci-deployer" }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: "ci-deployer" }));
  const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKey!.AccessKeyId }));
  expect(used.UserName).toBe("ci-deployer");
  expect(process.env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

import { spawn } from "node:child_process";
import { join } from "node:path";
import {
  IAMClient,
  CreateServiceSpecificCredentialCommand,
  CreateUserCommand,
  CreateAccessKeyCommand,
  GetAccessKeyLastUsedCommand,
  ListServiceSpecificCredentialsCommand,
} from "@aws-sdk/client-iam";
import { describe, expect, inject, it } from "vitest";
import { motoForSuite } from "./support/moto.ts";

const ROOT = join(import.meta.dirname, "..");

motoForSuite({ managedPolicies: false });

it("serves IAM to the SDK through AWS_ENDPOINT_URL alone", async () => {
  const iam = new IAMClient({});
  await iam.send(new CreateUserCommand({ UserName: "ci-deployer" }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: "ci-deployer" }));
  const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKey!.AccessKeyId }));
  expect(used.UserName).toBe("ci-deployer");
  expect(process.env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
});

describe("npm run --silent moto, for a person at a terminal", () => {
  it("prints the environment to use, serves IAM with service-specific credentials through the proxy, and stops both on Ctrl-C", async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("AWS_")));
    // Its own process group, as a terminal's foreground job: Ctrl-C signals the whole group.
    const child = spawn("npm", ["run", "--silent", "moto", "--", "--no-managed-policies"], {
      cwd: ROOT,
      env: { ...env, MOTO_SERVER: inject("motoServer") },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    /** Whether any process of the group (npm, node, moto_server) is still there. */
    const groupAlive = () => {
      try {
        process.kill(-child.pid!, 0);
        return true;
      } catch {
        return false;
      }
    };
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        if (stdout.includes("\n")) resolve(stdout.split("\n")[0]);
      });
      child.once("exit", () => reject(new Error(`exited before printing the environment: ${stderr}`)));
    });
    try {
      expect(line).toMatch(
        /^export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+ AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing$/,
      );
      const settings = Object.fromEntries(
        line
          .slice("export ".length)
          .split(" ")
          .map((pair) => pair.split("=")),
      );
      const iam = new IAMClient({
        endpoint: settings.AWS_ENDPOINT_URL,
        region: settings.AWS_REGION,
        credentials: { accessKeyId: settings.AWS_ACCESS_KEY_ID, secretAccessKey: settings.AWS_SECRET_ACCESS_KEY },
      });
      await iam.send(new CreateUserCommand({ UserName: "ci-deployer" }));
      // What plain moto cannot answer, and the program and the first strike ask for every user.
      await iam.send(
        new CreateServiceSpecificCredentialCommand({
          UserName: "ci-deployer",
          ServiceName: "codecommit.amazonaws.com",
        }),
      );
      const listed = await iam.send(new ListServiceSpecificCredentialsCommand({ UserName: "ci-deployer" }));
      expect(listed.ServiceSpecificCredentials?.map((c) => [c.UserName, c.Status])).toEqual([
        ["ci-deployer", "Active"],
      ]);
      const motoEndpoint = /moto_server at (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)![1];
      process.kill(-child.pid!, "SIGINT");
      await exited;
      // Wait for the condition, bounded: every process of the group has ended.
      for (let i = 0; i < 200 && groupAlive(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(groupAlive()).toBe(false);
      await expect(fetch(`${settings.AWS_ENDPOINT_URL}/moto-api/`)).rejects.toThrow();
      await expect(fetch(`${motoEndpoint}/moto-api/`)).rejects.toThrow();
    } finally {
      // Whatever failed above, nothing of it outlives the test (the group may already be gone).
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {}
    }
  });
});

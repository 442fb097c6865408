/**
 * The engine stand-in's rows parse a credential's resource id as the provider does, in its read,
 * update and delete alike (terraform-provider-aws signing_certificate.go
 * signingCertificateParseResourceID, service_specific_credential.go): an id of any other form is
 * refused with the provider's message before any call to AWS.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Cloud } from "../emulators/engine/provider.ts";
import { RESOURCE_ROWS } from "../emulators/engine/rows.ts";

/** No call may reach it: every use of a client throws. */
const noCloud = new Proxy({} as Cloud, {
  get: (_, name) => {
    throw new Error(`the row called AWS (${String(name)}) before checking the id`);
  },
});

const CERTIFICATE = RESOURCE_ROWS["aws:iam/signingCertificate:SigningCertificate"];
const SERVICE_CREDENTIAL = RESOURCE_ROWS["aws:iam/serviceSpecificCredential:ServiceSpecificCredential"];

/** Each step of a row that takes the resource's id. */
const steps = (row: (typeof RESOURCE_ROWS)[string]) =>
  [
    ["read", (id: string) => row.read(noCloud, id, {})],
    ["update", (id: string) => row.update(noCloud, id, {}, { status: "Inactive" }, {})],
    ["delete", (id: string) => row.delete(noCloud, id, {}, {})],
  ] as const;

describe("a signing certificate's id, CERTIFICATE-ID:USER-NAME", () => {
  it.each(
    ["ASCACERT0000000000001", "ASCACERT0000000000001:", ":ci-deployer", ""].flatMap((id) =>
      steps(CERTIFICATE).map(([step, run]) => [step, id, run] as const),
    ),
  )("%s refuses %j", async (_, id, run) => {
    await expect(run(id)).rejects.toThrow(`unexpected format for ID (${id}), expected CERTIFICATE-ID:USER-NAME`);
  });

  it("refuses exactly the ids the provider refuses: any text, before any call to AWS", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.constantFrom("A", "b", "-", ":", "/", " ") }), async (id) => {
        const valid = /^[^:]+:.+$/s.test(id);
        await expect(CERTIFICATE.read(noCloud, id, {})).rejects.toThrow(
          valid ? "the row called AWS" : `unexpected format for ID (${id}), expected CERTIFICATE-ID:USER-NAME`,
        );
      }),
    );
  });
});

describe("a service-specific credential's id, SERVICE-NAME:USER-NAME:CREDENTIAL-ID", () => {
  it.each(
    ["bedrock.amazonaws.com:ci-deployer", "bedrock.amazonaws.com:ci-deployer:ACCA0000000000000001:extra"].flatMap(
      (id) => steps(SERVICE_CREDENTIAL).map(([step, run]) => [step, id, run] as const),
    ),
  )("%s refuses %j", async (_, id, run) => {
    await expect(run(id)).rejects.toThrow("unknown IAM Service Specific Credential ID format");
  });
});

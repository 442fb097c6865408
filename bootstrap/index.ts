/**
 * The bootstrap project: what an administrator runs once per AWS account before cordon's workflows
 * can run there. It creates the GitHub OIDC provider (or adopts the one already there) and the
 * four roles of permissions/roles.ts, each with exactly the policies `cordon permissions` derives
 * from the code (bootstrap/declared.ts). The StackSet template of `cordon bootstrap-template` is
 * the same description, for organizations. See docs/setup.md.
 *
 * Config: cordon:account (required), cordon:githubRepository (OWNER/NAME, required),
 * cordon:organizationStack (true in the account that runs the organization stack).
 * Only a default export: Pulumi's entrypoint loader refuses a module with named exports beside it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsClients } from "../aws/clients.ts";
import { readOidcProvider } from "../aws/doctor.ts";
import { bootstrapFor, OIDC_AUDIENCE, targetProblems, type BootstrapTarget } from "../permissions/roles.ts";
import { AccountRole } from "./AccountRole.ts";
import { bootstrapDescription } from "./declared.ts";

export default async function bootstrap(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config("cordon");
  const flag = config.get("organizationStack");
  const raw = {
    account: config.get("account"),
    repository: config.get("githubRepository"),
    organizationStack: flag === undefined ? false : flag === "true" ? true : flag === "false" ? false : flag,
  };
  const problems = targetProblems(raw);
  if (problems.length > 0) {
    throw new pulumi.RunError(
      [
        `cordon bootstrap declared nothing: ${problems.length === 1 ? "1 problem" : `${problems.length} problems`} in the stack's config:`,
        ...problems,
      ].join("\n"),
    );
  }
  const target = raw as BootstrapTarget;

  // The roles trust this account's provider: created with another account's credentials, they would trust nothing.
  const caller = (await aws.getCallerIdentity()).accountId;
  if (caller !== target.account) {
    throw new pulumi.RunError(
      `cordon bootstrap declared nothing: the credentials belong to account ${caller}, but cordon:account is ${target.account}: run it with credentials for ${target.account}`,
    );
  }

  const description = bootstrapFor(bootstrapDescription(), target);
  // An account has at most one provider per issuer, often made before cordon: adopt it as it is
  // (an import must declare exactly what is there), and never delete it with this stack.
  const existing = await readOidcProvider(awsClients(), description.oidcProvider.arn);
  if (existing !== null && !existing.clientIds.includes(OIDC_AUDIENCE)) {
    throw new pulumi.RunError(
      `cordon bootstrap declared nothing: the account's provider ${existing.arn} does not accept the audience ${OIDC_AUDIENCE}, which configure-aws-credentials asks for: add it (aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${existing.arn} --client-id ${OIDC_AUDIENCE}) and run again`,
    );
  }
  const provider = new aws.iam.OpenIdConnectProvider(
    "github",
    existing === null
      ? { url: description.oidcProvider.url, clientIdLists: description.oidcProvider.clientIds }
      : {
          url: description.oidcProvider.url,
          clientIdLists: existing.clientIds,
          ...(existing.thumbprints.length > 0 ? { thumbprintLists: existing.thumbprints } : {}),
          ...(Object.keys(existing.tags).length > 0 ? { tags: existing.tags } : {}),
        },
    { retainOnDelete: true, ...(existing === null ? {} : { import: existing.arn }) },
  );

  const roles = Object.fromEntries(
    description.roles.map((role) => [role.id, new AccountRole(role.name, { role }, { dependsOn: [provider] }).arn]),
  );
  return { oidcProvider: provider.arn, roles };
}

/**
 * The rows of the provider imitation (provider.ts), one per resource type the program declares,
 * each against moto through the AWS SDK. What each call does, and which inputs force a
 * replacement, follows terraform-provider-aws (the provider that @pulumi/aws bridges), read in its
 * source: internal/service/iam/access_key.go, user_ssh_key.go, signing_certificate.go,
 * service_specific_credential.go, policy.go, role.go, role_policy.go, role_policy_attachment.go,
 * user_policy_attachment.go, openid_connect_provider.go (and diff.go's suppressOpenIDURL),
 * internal/service/organizations/policy.go, policy_attachment.go; and the time
 * provider's static resource (`triggers` and `rfc3339` force a new resource). Which types
 * pulumi-aws replaces delete-first, and which it auto-names, follow its provider/resources.go.
 * docs/program.md lists what is read and what is exercised.
 */
import {
  AddClientIDToOpenIDConnectProviderCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateServiceSpecificCredentialCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeleteAccessKeyCommand,
  DeleteConflictException,
  DeleteOpenIDConnectProviderCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteServiceSpecificCredentialCommand,
  DeleteSigningCertificateCommand,
  DeleteSSHPublicKeyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetAccessKeyLastUsedCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetSSHPublicKeyCommand,
  ListAccessKeysCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListPolicyVersionsCommand,
  ListServiceSpecificCredentialsCommand,
  ListSigningCertificatesCommand,
  PutRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetUserPolicyCommand,
  PutUserPolicyCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  TagOpenIDConnectProviderCommand,
  TagPolicyCommand,
  TagRoleCommand,
  UntagOpenIDConnectProviderCommand,
  UntagPolicyCommand,
  UntagRoleCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateOpenIDConnectProviderThumbprintCommand,
  UpdateRoleCommand,
  UpdateServiceSpecificCredentialCommand,
  UpdateSigningCertificateCommand,
  UpdateSSHPublicKeyCommand,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
  type ServiceSpecificCredentialMetadata,
  type StatusType,
  type Tag,
} from "@aws-sdk/client-iam";
import {
  AttachPolicyCommand,
  CreatePolicyCommand as CreateOrganizationsPolicyCommand,
  DeletePolicyCommand as DeleteOrganizationsPolicyCommand,
  DescribePolicyCommand,
  DetachPolicyCommand,
  ListTargetsForPolicyCommand,
  UpdatePolicyCommand,
} from "@aws-sdk/client-organizations";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import {
  isNoSuchEntity,
  type Cloud,
  type Equivalence,
  type InvokeRow,
  type ReadResult,
  type ResourceRow,
} from "./provider.ts";
import { sameValue, type Properties, type Value } from "./properties.ts";

const text = (value: Value | undefined): string | undefined => (typeof value === "string" ? value : undefined);
const tagsOf = (value: Value | undefined): Tag[] =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? Object.entries(value).map(([Key, v]) => ({ Key, Value: String(v ?? "") }))
    : [];
/** The `tags` input as a create call takes it: none when there are none. */
const tagsIn = (inputs: Properties): Tag[] | undefined =>
  tagsOf(inputs.tags).length > 0 ? tagsOf(inputs.tags) : undefined;
/** What a create of a role or a managed policy takes alike from its inputs. */
const pathDescriptionTags = (inputs: Properties) => ({
  Path: text(inputs.path),
  Description: text(inputs.description),
  Tags: tagsIn(inputs),
});
const tagMap = (tags: Tag[] | undefined): Properties =>
  Object.fromEntries((tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
const decoded = (document: string | undefined): string => decodeURIComponent(document ?? "");
/** null when AWS says the entity does not exist; any other failure is thrown. */
async function orGone<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (isNoSuchEntity(error)) return null;
    throw error;
  }
}
/** The provider's unique suffix for ids it makes up (`id.PrefixedUniqueId`). */
let unique = 0;
const uniqueId = (prefix: string) =>
  `${prefix}${Date.now().toString().padStart(20, "0")}${String(++unique).padStart(8, "0")}`;

/**
 * ImportStatePassthrough, the provider's import of a resource by its own id: read as a refresh
 * reads it, with no inputs in state yet.
 */
function importStatePassthrough(this: ResourceRow, cloud: Cloud, id: string): Promise<ReadResult | null> {
  return this.read(cloud, id, {});
}

/**
 * What a read of a credential gives back, as the provider's read sets it: the properties read are
 * its inputs (so that the next diff compares against them), and its outputs are those and what AWS
 * computed.
 */
const readBack = (id: string, read: Properties, computed: Properties): ReadResult => ({
  id,
  inputs: read,
  outputs: { ...read, ...computed },
});

/**
 * A credential as the provider reads it from its user's list: gone when the list does not hold
 * it, else read back with what `back` takes from the list's entry (the inputs read, and what AWS
 * computed).
 */
function readListed<T>(
  id: string,
  listed: T[] | undefined,
  isIt: (entry: T) => boolean,
  back: (entry: T) => [read: Properties, computed: Properties],
): ReadResult | null {
  const entry = listed?.find(isIt);
  return entry ? readBack(id, ...back(entry)) : null;
}

/** Tags to add and keys to remove, from the old and new `tags` inputs. */
function tagChanges(olds: Properties, news: Properties): { add: Tag[]; remove: string[] } {
  const before = tagMap(tagsOf(olds.tags));
  const after = tagMap(tagsOf(news.tags));
  return {
    add: Object.entries(after)
      .filter(([k, v]) => before[k] !== v)
      .map(([Key, v]) => ({ Key, Value: String(v) })),
    remove: Object.keys(before).filter((k) => !(k in after)),
  };
}

const accessKey: ResourceRow = {
  // access_key.go: `user` and `pgp_key` are ForceNew; `status` defaults to Active.
  replaceOn: ["user", "pgpKey"],
  defaults: { status: "Active" },
  computed: [
    "createDate",
    "encryptedSecret",
    "encryptedSesSmtpPasswordV4",
    "keyFingerprint",
    "secret",
    "sesSmtpPasswordV4",
  ],
  async create(cloud, inputs) {
    const created = await cloud.iam.send(new CreateAccessKeyCommand({ UserName: text(inputs.user) }));
    const id = created.AccessKey?.AccessKeyId ?? "";
    if (inputs.status === "Inactive")
      await cloud.iam.send(
        new UpdateAccessKeyCommand({ AccessKeyId: id, Status: "Inactive", UserName: text(inputs.user) }),
      );
    // The real provider's outputs hold the new key's secret; the stand-in keeps a marker in its place,
    // never the secret (which a policy pack sees as set: the key was created).
    return {
      id,
      inputs,
      outputs: { ...inputs, createDate: created.AccessKey?.CreateDate?.toISOString() ?? null, secret: "[secret]" },
    };
  },
  async read(cloud, id, inputs) {
    const listed = await orGone(cloud.iam.send(new ListAccessKeysCommand({ UserName: text(inputs.user) })));
    return readListed(
      id,
      listed?.AccessKeyMetadata,
      (k) => k.AccessKeyId === id,
      (key) => [
        { user: key.UserName ?? null, status: key.Status ?? null },
        { createDate: key.CreateDate?.toISOString() ?? null },
      ],
    );
  },
  // The importer finds the key's user with GetAccessKeyLastUsed, then reads it.
  async import(cloud, id) {
    const used = await orGone(cloud.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: id })));
    if (!used?.UserName) return null;
    return this.read(cloud, id, { user: used.UserName });
  },
  async update(cloud, id, olds, news, outputs) {
    if (olds.status !== news.status)
      await cloud.iam.send(
        new UpdateAccessKeyCommand({
          AccessKeyId: id,
          Status: text(news.status) as "Active" | "Inactive",
          UserName: text(news.user),
        }),
      );
    return { ...outputs, ...news };
  },
  async delete(cloud, id, inputs) {
    await cloud.iam.send(new DeleteAccessKeyCommand({ AccessKeyId: id, UserName: text(inputs.user) }));
  },
};

/** cleanSSHKey of user_ssh_key.go: an SSH-encoded key without its comment (what follows "ssh-rsa KEY"). */
const cleanSshKey = (key: string): string => key.split(" ").slice(0, 2).join(" ");

const sshKey: ResourceRow = {
  // user_ssh_key.go: `username`, `public_key` and `encoding` are ForceNew (the key's comment
  // suppressed from the diff); `status` is Optional and Computed. The import id is
  // `username:ssh_public_key_id:encoding`, and the resource's id is then the key's id alone.
  replaceOn: ["username", "publicKey", "encoding"],
  equivalent: {
    publicKey: (old, next) => cleanSshKey(text(old) ?? "").trim() === cleanSshKey(text(next) ?? "").trim(),
    status: (old, next) => next === undefined || next === null || old === next,
  },
  computed: ["fingerprint", "sshPublicKeyId", "status"],
  async create(cloud, inputs) {
    const uploaded = await cloud.iam.send(
      new UploadSSHPublicKeyCommand({ UserName: text(inputs.username), SSHPublicKeyBody: text(inputs.publicKey) }),
    );
    const id = uploaded.SSHPublicKey?.SSHPublicKeyId ?? "";
    if (text(inputs.status) !== undefined)
      await cloud.iam.send(
        new UpdateSSHPublicKeyCommand({
          UserName: text(inputs.username),
          SSHPublicKeyId: id,
          Status: text(inputs.status) as StatusType,
        }),
      );
    const read = await this.read(cloud, id, inputs);
    return { id, inputs, outputs: { ...inputs, ...(read?.outputs ?? {}) } };
  },
  async read(cloud, id, inputs) {
    const encoding = text(inputs.encoding) as "SSH" | "PEM";
    const found = (
      await orGone(
        cloud.iam.send(
          new GetSSHPublicKeyCommand({ UserName: text(inputs.username), SSHPublicKeyId: id, Encoding: encoding }),
        ),
      )
    )?.SSHPublicKey;
    if (!found) return null;
    const body = found.SSHPublicKeyBody ?? "";
    const read: Properties = {
      username: found.UserName ?? text(inputs.username) ?? null,
      publicKey: encoding === "SSH" ? cleanSshKey(body) : body,
      encoding,
      status: found.Status ?? null,
    };
    return readBack(id, read, { fingerprint: found.Fingerprint ?? null, sshPublicKeyId: found.SSHPublicKeyId ?? id });
  },
  async import(cloud, id) {
    const [username, keyId, encoding] = id.split(":");
    if (!username || !keyId || !encoding)
      throw new Error(`unexpected format of ID (${JSON.stringify(id)}), UserName:SSHPublicKeyId:Encoding`);
    return this.read(cloud, keyId, { username, encoding });
  },
  async update(cloud, id, olds, news, outputs) {
    if (olds.status !== news.status)
      await cloud.iam.send(
        new UpdateSSHPublicKeyCommand({
          UserName: text(news.username),
          SSHPublicKeyId: id,
          Status: text(news.status) as StatusType,
        }),
      );
    return { ...outputs, ...news };
  },
  async delete(cloud, id, inputs) {
    await cloud.iam.send(new DeleteSSHPublicKeyCommand({ UserName: text(inputs.username), SSHPublicKeyId: id }));
  },
};

/** Whose credential a status update is (`userName`) and its new status, from a row's inputs. */
const statusUpdate = (inputs: Properties) => ({
  UserName: text(inputs.userName),
  Status: text(inputs.status) as StatusType,
});

/**
 * A signing certificate's resource id, `certificate_id:user_name`, in its parts; the provider
 * parses it so, and refuses any other, in its read, update and delete.
 */
function certificateIdParts(id: string): { certificateId: string; userName: string } {
  const colon = id.indexOf(":");
  const [certificateId, userName] = colon < 0 ? [id, ""] : [id.slice(0, colon), id.slice(colon + 1)];
  if (!certificateId || !userName)
    throw new Error(`unexpected format for ID (${id}), expected CERTIFICATE-ID:USER-NAME`);
  return { certificateId, userName };
}

const signingCertificate: ResourceRow = {
  // signing_certificate.go: `certificate_body` and `user_name` are ForceNew; `status` defaults to
  // Active. Imported by its own id, `certificate_id:user_name` (ImportStatePassthrough), read from
  // ListSigningCertificates; a delete that finds nothing is done.
  replaceOn: ["certificateBody", "userName"],
  defaults: { status: "Active" },
  computed: ["certificateId"],
  async create(cloud, inputs) {
    const uploaded = await cloud.iam.send(
      new UploadSigningCertificateCommand({
        UserName: text(inputs.userName),
        CertificateBody: text(inputs.certificateBody),
      }),
    );
    const certificateId = uploaded.Certificate?.CertificateId ?? "";
    if (inputs.status !== "Active")
      await cloud.iam.send(
        new UpdateSigningCertificateCommand({ ...statusUpdate(inputs), CertificateId: certificateId }),
      );
    return { id: `${certificateId}:${text(inputs.userName)}`, inputs, outputs: { ...inputs, certificateId } };
  },
  async read(cloud, id) {
    const { certificateId, userName } = certificateIdParts(id);
    const listed = await orGone(cloud.iam.send(new ListSigningCertificatesCommand({ UserName: userName })));
    return readListed(
      id,
      listed?.Certificates,
      (c) => c.CertificateId === certificateId,
      (found) => [
        {
          certificateBody: found.CertificateBody ?? null,
          status: found.Status ?? null,
          userName: found.UserName ?? userName,
        },
        { certificateId },
      ],
    );
  },
  import: importStatePassthrough,
  async update(cloud, id, _olds, news, outputs) {
    const { certificateId } = certificateIdParts(id);
    await cloud.iam.send(new UpdateSigningCertificateCommand({ ...statusUpdate(news), CertificateId: certificateId }));
    return { ...outputs, ...news };
  },
  async delete(cloud, id) {
    const { certificateId, userName } = certificateIdParts(id);
    await orGone(
      cloud.iam.send(new DeleteSigningCertificateCommand({ UserName: userName, CertificateId: certificateId })),
    );
  },
};

/**
 * A service-specific credential's resource id, `service_name:user_name:credential_id`, in its
 * parts; the provider parses it so, and refuses any other, in its read, update and delete.
 */
function serviceCredentialIdParts(id: string): { serviceName: string; userName: string; credentialId: string } {
  const [serviceName, userName, credentialId, ...rest] = id.split(":");
  if (credentialId === undefined || rest.length > 0)
    throw new Error("unknown IAM Service Specific Credential ID format");
  return { serviceName, userName, credentialId };
}

const serviceSpecificCredential: ResourceRow = {
  // service_specific_credential.go: `service_name` and `user_name` are ForceNew (and, in the
  // version pulumi-aws 7.48 bridges, `credential_age_days`, a Bedrock API key's lifetime: its
  // schema docs); `status` defaults to Active. Imported by its own id,
  // `service_name:user_name:service_specific_credential_id` (ImportStatePassthrough), read from
  // ListServiceSpecificCredentials for that user and service; a delete that finds nothing is
  // done. moto has no service-specific credentials: emulators/service-credentials.ts answers them.
  replaceOn: ["serviceName", "userName", "credentialAgeDays"],
  defaults: { status: "Active" },
  computed: [
    "serviceSpecificCredentialId",
    "serviceUserName",
    "servicePassword",
    "serviceCredentialSecret",
    "createDate",
    "expirationDate",
  ],
  async create(cloud, inputs) {
    const created = (
      await cloud.iam.send(
        new CreateServiceSpecificCredentialCommand({
          UserName: text(inputs.userName),
          ServiceName: text(inputs.serviceName),
          CredentialAgeDays: typeof inputs.credentialAgeDays === "number" ? inputs.credentialAgeDays : undefined,
        }),
      )
    ).ServiceSpecificCredential;
    const credentialId = created?.ServiceSpecificCredentialId ?? "";
    if (inputs.status !== "Active")
      await cloud.iam.send(
        new UpdateServiceSpecificCredentialCommand({
          ...statusUpdate(inputs),
          ServiceSpecificCredentialId: credentialId,
        }),
      );
    // The provider's create sets `service_password` and `service_credential_secret` from the answer:
    // a password for CodeCommit and Keyspaces, a secret (and no password) for a Bedrock API key. The
    // stand-in keeps a marker in place of the one AWS returned, never the secret (a policy pack sees
    // it set: the credential was created).
    const secret = (value: string | undefined) => (value ? "[secret]" : null);
    return {
      id: `${text(inputs.serviceName)}:${text(inputs.userName)}:${credentialId}`,
      inputs,
      outputs: {
        ...inputs,
        serviceSpecificCredentialId: credentialId,
        serviceUserName: created?.ServiceUserName ?? null,
        servicePassword: secret(created?.ServicePassword),
        serviceCredentialSecret: secret(created?.ServiceCredentialSecret),
      },
    };
  },
  async read(cloud, id) {
    const { serviceName, userName, credentialId } = serviceCredentialIdParts(id);
    const listed = await orGone(
      cloud.iam.send(new ListServiceSpecificCredentialsCommand({ UserName: userName, ServiceName: serviceName })),
    );
    const isIt = (c: ServiceSpecificCredentialMetadata) => c.ServiceSpecificCredentialId === credentialId;
    return readListed(id, listed?.ServiceSpecificCredentials, isIt, (found) => [
      {
        serviceName: found.ServiceName ?? serviceName,
        userName: found.UserName ?? userName,
        status: found.Status ?? null,
      },
      {
        serviceSpecificCredentialId: credentialId,
        serviceUserName: found.ServiceUserName ?? null,
        createDate: found.CreateDate?.toISOString() ?? null,
        expirationDate: found.ExpirationDate?.toISOString() ?? null,
      },
    ]);
  },
  import: importStatePassthrough,
  async update(cloud, id, _olds, news, outputs) {
    const { credentialId } = serviceCredentialIdParts(id);
    await cloud.iam.send(
      new UpdateServiceSpecificCredentialCommand({ ...statusUpdate(news), ServiceSpecificCredentialId: credentialId }),
    );
    return { ...outputs, ...news };
  },
  async delete(cloud, id) {
    const { userName, credentialId } = serviceCredentialIdParts(id);
    await orGone(
      cloud.iam.send(
        new DeleteServiceSpecificCredentialCommand({ UserName: userName, ServiceSpecificCredentialId: credentialId }),
      ),
    );
  },
};

const managedPolicy: ResourceRow = {
  // policy.go: `name`, `name_prefix`, `path` and `description` are ForceNew; `path` defaults to "/".
  replaceOn: ["name", "namePrefix", "path", "description"],
  autonamed: true,
  defaults: { path: "/" },
  computed: ["arn", "attachmentCount", "policyId", "tagsAll"],
  async create(cloud, inputs) {
    const created = await cloud.iam.send(
      new CreatePolicyCommand({
        PolicyName: text(inputs.name),
        PolicyDocument: text(inputs.policy),
        ...pathDescriptionTags(inputs),
      }),
    );
    const arn = created.Policy?.Arn ?? "";
    return {
      id: arn,
      inputs,
      outputs: {
        ...inputs,
        arn,
        policyId: created.Policy?.PolicyId ?? null,
        attachmentCount: 0,
        tagsAll: inputs.tags ?? {},
      },
    };
  },
  async read(cloud, id) {
    const found = await orGone(cloud.iam.send(new GetPolicyCommand({ PolicyArn: id })));
    if (!found?.Policy) return null;
    const version = await cloud.iam.send(
      new GetPolicyVersionCommand({ PolicyArn: id, VersionId: found.Policy.DefaultVersionId }),
    );
    const tags = tagMap(found.Policy.Tags);
    const inputs: Properties = {
      name: found.Policy.PolicyName ?? null,
      path: found.Policy.Path ?? "/",
      description: found.Policy.Description ?? null,
      policy: decoded(version.PolicyVersion?.Document),
      tags,
    };
    return {
      id,
      inputs,
      outputs: {
        ...inputs,
        arn: id,
        policyId: found.Policy.PolicyId ?? null,
        attachmentCount: found.Policy.AttachmentCount ?? 0,
        tagsAll: tags,
      },
    };
  },
  async update(cloud, id, olds, news, outputs) {
    if (olds.policy !== news.policy) {
      // The provider deletes the oldest non-default version when IAM's limit of five is reached.
      const versions = (await cloud.iam.send(new ListPolicyVersionsCommand({ PolicyArn: id }))).Versions ?? [];
      if (versions.length >= 5) {
        const oldest = versions
          .filter((v) => !v.IsDefaultVersion)
          .sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
        if (oldest)
          await cloud.iam.send(new DeletePolicyVersionCommand({ PolicyArn: id, VersionId: oldest.VersionId }));
      }
      await cloud.iam.send(
        new CreatePolicyVersionCommand({ PolicyArn: id, PolicyDocument: text(news.policy), SetAsDefault: true }),
      );
    }
    const { add, remove } = tagChanges(olds, news);
    if (remove.length > 0) await cloud.iam.send(new UntagPolicyCommand({ PolicyArn: id, TagKeys: remove }));
    if (add.length > 0) await cloud.iam.send(new TagPolicyCommand({ PolicyArn: id, Tags: add }));
    return { ...outputs, ...news, tagsAll: news.tags ?? {} };
  },
  async delete(cloud, id) {
    // The versions go first: IAM refuses to delete a policy that has others than the default one.
    const versions = (await orGone(cloud.iam.send(new ListPolicyVersionsCommand({ PolicyArn: id }))))?.Versions ?? [];
    for (const version of versions.filter((v) => !v.IsDefaultVersion))
      await cloud.iam.send(new DeletePolicyVersionCommand({ PolicyArn: id, VersionId: version.VersionId }));
    // IAM refuses to delete a policy still attached to a user, group or role; moto deletes it
    // (and leaves the attachment pointing at nothing), so the row answers as IAM does.
    // https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeletePolicy.html
    const attached = (await orGone(cloud.iam.send(new GetPolicyCommand({ PolicyArn: id }))))?.Policy?.AttachmentCount;
    if ((attached ?? 0) > 0)
      throw new DeleteConflictException({ message: "Cannot delete a policy attached to entities.", $metadata: {} });
    await orGone(cloud.iam.send(new DeletePolicyCommand({ PolicyArn: id })));
  },
};

/**
 * user_policy_attachment.go and role_policy_attachment.go: every input is ForceNew; a detach that
 * finds nothing is done. pulumi-aws replaces them delete-first (provider/resources.go).
 */
function policyAttachment(principal: "user" | "role"): ResourceRow {
  const name = (inputs: Properties) => text(inputs[principal]);
  return {
    replaceOn: [principal, "policyArn"],
    deleteBeforeReplace: true,
    computed: [],
    async create(cloud, inputs) {
      if (principal === "user")
        await cloud.iam.send(
          new AttachUserPolicyCommand({ UserName: name(inputs), PolicyArn: text(inputs.policyArn) }),
        );
      else
        await cloud.iam.send(
          new AttachRolePolicyCommand({ RoleName: name(inputs), PolicyArn: text(inputs.policyArn) }),
        );
      return { id: uniqueId(`${name(inputs)}-`), inputs, outputs: { ...inputs } };
    },
    async read(cloud, id, inputs) {
      const listed =
        principal === "user"
          ? await orGone(cloud.iam.send(new ListAttachedUserPoliciesCommand({ UserName: name(inputs) })))
          : await orGone(cloud.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name(inputs) })));
      return listed?.AttachedPolicies?.some((p) => p.PolicyArn === inputs.policyArn)
        ? { id, inputs, outputs: { ...inputs } }
        : null;
    },
    async update(_cloud, _id, _olds, news) {
      return { ...news };
    },
    async delete(cloud, _id, inputs) {
      if (principal === "user")
        await orGone(
          cloud.iam.send(new DetachUserPolicyCommand({ UserName: name(inputs), PolicyArn: text(inputs.policyArn) })),
        );
      else
        await orGone(
          cloud.iam.send(new DetachRolePolicyCommand({ RoleName: name(inputs), PolicyArn: text(inputs.policyArn) })),
        );
    },
  };
}

/** An inline policy of a role or a user: role_policy.go and user_policy.go do the same with their own calls. */
function inlinePolicy(principal: "role" | "user"): ResourceRow {
  const put = (cloud: Cloud, inputs: Properties) =>
    principal === "role"
      ? cloud.iam.send(
          new PutRolePolicyCommand({
            RoleName: text(inputs.role),
            PolicyName: text(inputs.name),
            PolicyDocument: text(inputs.policy),
          }),
        )
      : cloud.iam.send(
          new PutUserPolicyCommand({
            UserName: text(inputs.user),
            PolicyName: text(inputs.name),
            PolicyDocument: text(inputs.policy),
          }),
        );
  const split = (id: string) => [id.slice(0, id.indexOf(":")), id.slice(id.indexOf(":") + 1)];
  return {
    // `name`, `name_prefix` and the principal are ForceNew; the document is updated in place.
    replaceOn: ["name", "namePrefix", principal],
    autonamed: true,
    computed: [],
    async create(cloud, inputs) {
      await put(cloud, inputs);
      return { id: `${text(inputs[principal])}:${text(inputs.name)}`, inputs, outputs: { ...inputs } };
    },
    async read(cloud, id) {
      const [owner, name] = split(id);
      const found =
        principal === "role"
          ? await orGone(cloud.iam.send(new GetRolePolicyCommand({ RoleName: owner, PolicyName: name })))
          : await orGone(cloud.iam.send(new GetUserPolicyCommand({ UserName: owner, PolicyName: name })));
      if (!found) return null;
      const inputs = { [principal]: owner, name, policy: decoded(found.PolicyDocument) };
      return { id, inputs, outputs: { ...inputs } };
    },
    async update(cloud, _id, _olds, news) {
      await put(cloud, news);
      return { ...news };
    },
    async delete(cloud, id) {
      const [owner, name] = split(id);
      await orGone(
        principal === "role"
          ? cloud.iam.send(new DeleteRolePolicyCommand({ RoleName: owner, PolicyName: name }))
          : cloud.iam.send(new DeleteUserPolicyCommand({ UserName: owner, PolicyName: name })),
      );
    },
  };
}

const role: ResourceRow = {
  // role.go: `name`, `name_prefix` and `path` are ForceNew; `path` defaults to "/", `max_session_duration` to 3600.
  replaceOn: ["name", "namePrefix", "path"],
  autonamed: true,
  defaults: { path: "/", maxSessionDuration: 3600, forceDetachPolicies: false },
  computed: ["arn", "createDate", "uniqueId", "tagsAll", "managedPolicyArns", "inlinePolicies"],
  async create(cloud, inputs) {
    const created = await cloud.iam.send(
      new CreateRoleCommand({
        RoleName: text(inputs.name),
        AssumeRolePolicyDocument: text(inputs.assumeRolePolicy),
        MaxSessionDuration: typeof inputs.maxSessionDuration === "number" ? inputs.maxSessionDuration : undefined,
        ...pathDescriptionTags(inputs),
      }),
    );
    const made = created.Role;
    return {
      id: made?.RoleName ?? "",
      inputs,
      outputs: {
        ...inputs,
        arn: made?.Arn ?? null,
        uniqueId: made?.RoleId ?? null,
        createDate: made?.CreateDate?.toISOString() ?? null,
        tagsAll: inputs.tags ?? {},
      },
    };
  },
  async read(cloud, id) {
    const found = (await orGone(cloud.iam.send(new GetRoleCommand({ RoleName: id }))))?.Role;
    if (!found) return null;
    const inputs: Properties = {
      name: found.RoleName ?? id,
      path: found.Path ?? "/",
      description: found.Description ?? null,
      assumeRolePolicy: decoded(found.AssumeRolePolicyDocument),
      maxSessionDuration: found.MaxSessionDuration ?? 3600,
      tags: tagMap(found.Tags),
    };
    return {
      id,
      inputs,
      outputs: {
        ...inputs,
        arn: found.Arn ?? null,
        uniqueId: found.RoleId ?? null,
        createDate: found.CreateDate?.toISOString() ?? null,
      },
    };
  },
  async update(cloud, id, olds, news, outputs) {
    if (olds.assumeRolePolicy !== news.assumeRolePolicy)
      await cloud.iam.send(
        new UpdateAssumeRolePolicyCommand({ RoleName: id, PolicyDocument: text(news.assumeRolePolicy) }),
      );
    if (olds.description !== news.description || olds.maxSessionDuration !== news.maxSessionDuration) {
      await cloud.iam.send(
        new UpdateRoleCommand({
          RoleName: id,
          Description: text(news.description),
          MaxSessionDuration: typeof news.maxSessionDuration === "number" ? news.maxSessionDuration : undefined,
        }),
      );
    }
    const { add, remove } = tagChanges(olds, news);
    if (remove.length > 0) await cloud.iam.send(new UntagRoleCommand({ RoleName: id, TagKeys: remove }));
    if (add.length > 0) await cloud.iam.send(new TagRoleCommand({ RoleName: id, Tags: add }));
    return { ...outputs, ...news, tagsAll: news.tags ?? {} };
  },
  async delete(cloud, id) {
    await orGone(cloud.iam.send(new DeleteRoleCommand({ RoleName: id })));
  },
};

const strings = (value: Value | undefined): string[] => (Array.isArray(value) ? value.map(String) : []);

/** diff.go, suppressOpenIDURL: the issuer with and without its https:// is one URL (IAM answers without it). */
const sameOpenIdUrl: Equivalence = (old, next) => {
  const normal = (value: Value | undefined) => {
    const url = text(value) ?? "";
    try {
      return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`).toString();
    } catch {
      return url;
    }
  };
  return normal(old) === normal(next);
};
/** A TypeSet: the same members in any order. */
const sameSet: Equivalence = (old, next) => sameValue([...strings(old)].sort(), [...strings(next)].sort());
/** Optional and Computed: left out by the program, the provider keeps what it has. */
const keptWhenLeftOut: Equivalence = (old, next) => next === undefined || next === null || sameValue(old ?? null, next);
/** A map of tags: none and an empty map are the same. */
const sameTags: Equivalence = (old, next) => sameValue(tagMap(tagsOf(old ?? null)), tagMap(tagsOf(next ?? null)));

const openIdConnectProvider: ResourceRow = {
  // openid_connect_provider.go: only `url` is ForceNew, its difference suppressed between the
  // issuer with and without https://; `client_id_list` is a set, updated by adding and removing
  // client ids; `thumbprint_list` is Optional and Computed, updated only to a non-empty list;
  // tags by TagOpenIDConnectProvider and UntagOpenIDConnectProvider (@Tags, resourceType OIDCProvider).
  replaceOn: ["url"],
  equivalent: { url: sameOpenIdUrl, clientIdLists: sameSet, thumbprintLists: keptWhenLeftOut, tags: sameTags },
  computed: ["arn", "tagsAll", "thumbprintLists"],
  async create(cloud, inputs) {
    const thumbprints = strings(inputs.thumbprintLists);
    const created = await cloud.iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: text(inputs.url),
        ClientIDList: strings(inputs.clientIdLists),
        ThumbprintList: thumbprints.length > 0 ? thumbprints : undefined,
        Tags: tagsIn(inputs),
      }),
    );
    const arn = created.OpenIDConnectProviderArn ?? "";
    // The provider reads the provider back after creating it (IAM fills in the thumbprints).
    const read = await this.read(cloud, arn, inputs);
    return { id: arn, inputs, outputs: { ...inputs, ...(read?.outputs ?? {}), arn } };
  },
  async read(cloud, id) {
    const found = await orGone(cloud.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: id })));
    if (!found) return null;
    const inputs: Properties = {
      url: found.Url ?? null,
      clientIdLists: [...(found.ClientIDList ?? [])],
      thumbprintLists: [...(found.ThumbprintList ?? [])],
      tags: tagMap(found.Tags),
    };
    return { id, inputs, outputs: { ...inputs, arn: id, tagsAll: inputs.tags } };
  },
  import: importStatePassthrough,
  async update(cloud, id, olds, news, outputs) {
    const thumbprints = strings(news.thumbprintLists);
    if (thumbprints.length > 0 && !sameValue(strings(olds.thumbprintLists), thumbprints))
      await cloud.iam.send(
        new UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: id, ThumbprintList: thumbprints }),
      );
    const [before, after] = [new Set(strings(olds.clientIdLists)), new Set(strings(news.clientIdLists))];
    for (const clientId of [...after].filter((c) => !before.has(c)))
      await cloud.iam.send(
        new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: id, ClientID: clientId }),
      );
    for (const clientId of [...before].filter((c) => !after.has(c)))
      await cloud.iam.send(
        new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: id, ClientID: clientId }),
      );
    const { add, remove } = tagChanges(olds, news);
    if (remove.length > 0)
      await cloud.iam.send(new UntagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: id, TagKeys: remove }));
    if (add.length > 0)
      await cloud.iam.send(new TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: id, Tags: add }));
    return { ...outputs, ...news, tagsAll: news.tags ?? {} };
  },
  async delete(cloud, id) {
    await orGone(cloud.iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: id })));
  },
};

const organizationsPolicy: ResourceRow = {
  // organizations/policy.go: only `type` is ForceNew (default SERVICE_CONTROL_POLICY); name, description and content update in place.
  replaceOn: ["type"],
  autonamed: true,
  defaults: { type: "SERVICE_CONTROL_POLICY" },
  computed: ["arn", "awsManaged", "tagsAll"],
  async create(cloud, inputs) {
    const created = await cloud.organizations.send(
      new CreateOrganizationsPolicyCommand({
        Name: text(inputs.name),
        Description: text(inputs.description) ?? "",
        Content: text(inputs.content),
        Type: text(inputs.type) as "SERVICE_CONTROL_POLICY",
      }),
    );
    const summary = created.Policy?.PolicySummary;
    return {
      id: summary?.Id ?? "",
      inputs,
      outputs: { ...inputs, arn: summary?.Arn ?? null, awsManaged: false, tagsAll: inputs.tags ?? {} },
    };
  },
  async read(cloud, id) {
    let found;
    try {
      found = (await cloud.organizations.send(new DescribePolicyCommand({ PolicyId: id }))).Policy;
    } catch (error) {
      if ((error as { name?: string }).name === "PolicyNotFoundException") return null;
      throw error;
    }
    const summary = found?.PolicySummary;
    const inputs: Properties = {
      name: summary?.Name ?? null,
      description: summary?.Description ?? null,
      content: found?.Content ?? null,
      type: summary?.Type ?? null,
    };
    return { id, inputs, outputs: { ...inputs, arn: summary?.Arn ?? null, awsManaged: summary?.AwsManaged ?? false } };
  },
  async update(cloud, id, _olds, news, outputs) {
    await cloud.organizations.send(
      new UpdatePolicyCommand({
        PolicyId: id,
        Name: text(news.name),
        Description: text(news.description),
        Content: text(news.content),
      }),
    );
    return { ...outputs, ...news };
  },
  async delete(cloud, id) {
    await cloud.organizations.send(new DeleteOrganizationsPolicyCommand({ PolicyId: id }));
  },
};

const organizationsPolicyAttachment: ResourceRow = {
  // organizations/policy_attachment.go: `policy_id` and `target_id` are ForceNew; `skip_destroy` keeps the attachment on delete.
  replaceOn: ["policyId", "targetId"],
  computed: [],
  async create(cloud, inputs) {
    await cloud.organizations.send(
      new AttachPolicyCommand({ PolicyId: text(inputs.policyId), TargetId: text(inputs.targetId) }),
    );
    return { id: `${text(inputs.targetId)}:${text(inputs.policyId)}`, inputs, outputs: { ...inputs } };
  },
  async read(cloud, id, inputs) {
    const targets =
      (await cloud.organizations.send(new ListTargetsForPolicyCommand({ PolicyId: text(inputs.policyId) }))).Targets ??
      [];
    return targets.some((t) => t.TargetId === inputs.targetId) ? { id, inputs, outputs: { ...inputs } } : null;
  },
  async update(_cloud, _id, _olds, news) {
    return { ...news };
  },
  async delete(cloud, _id, inputs) {
    if (inputs.skipDestroy === true) return;
    await cloud.organizations.send(
      new DetachPolicyCommand({ PolicyId: text(inputs.policyId), TargetId: text(inputs.targetId) }),
    );
  },
};

/** What the time provider's `time_static` records of an instant (whole seconds): its RFC 3339 text and UTC fields. */
export function timeStaticState(at: Date): Properties {
  return {
    rfc3339: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
    unix: at.getTime() / 1000,
    year: at.getUTCFullYear(),
    month: at.getUTCMonth() + 1,
    day: at.getUTCDate(),
    hour: at.getUTCHours(),
    minute: at.getUTCMinutes(),
    second: at.getUTCSeconds(),
  };
}

/** The time provider's `time_static`: the current UTC time, to the second, taken when it is created; no cloud call. */
const timeStatic: ResourceRow = {
  replaceOn: ["triggers", "rfc3339"],
  computed: ["day", "hour", "minute", "month", "rfc3339", "second", "unix", "year"],
  async create(cloud, inputs) {
    const at =
      typeof inputs.rfc3339 === "string"
        ? new Date(inputs.rfc3339)
        : new Date(Math.floor(cloud.now().getTime() / 1000) * 1000);
    const outputs: Properties = { ...inputs, ...timeStaticState(at) };
    return { id: String(outputs.rfc3339), inputs, outputs };
  },
  // terraform-provider-time's Read of time_static does nothing: the state stays as it was. Its id
  // is the instant, from which the state is made again.
  async read(_cloud, id, inputs) {
    const at = new Date(id);
    if (Number.isNaN(at.getTime())) return null;
    return { id, inputs, outputs: { ...inputs, ...timeStaticState(at) } };
  },
  async update(_cloud, _id, _olds, news, outputs) {
    return { ...outputs, ...news };
  },
  async delete() {},
};

/** Resource type token → its row. */
export const RESOURCE_ROWS: Readonly<Record<string, ResourceRow>> = {
  "aws:iam/accessKey:AccessKey": accessKey,
  "aws:iam/sshKey:SshKey": sshKey,
  "aws:iam/signingCertificate:SigningCertificate": signingCertificate,
  "aws:iam/serviceSpecificCredential:ServiceSpecificCredential": serviceSpecificCredential,
  "aws:iam/policy:Policy": managedPolicy,
  "aws:iam/userPolicyAttachment:UserPolicyAttachment": policyAttachment("user"),
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": policyAttachment("role"),
  "aws:iam/rolePolicy:RolePolicy": inlinePolicy("role"),
  "aws:iam/userPolicy:UserPolicy": inlinePolicy("user"),
  "aws:iam/role:Role": role,
  "aws:iam/openIdConnectProvider:OpenIdConnectProvider": openIdConnectProvider,
  "aws:organizations/policy:Policy": organizationsPolicy,
  "aws:organizations/policyAttachment:PolicyAttachment": organizationsPolicyAttachment,
  "time:index/static:Static": timeStatic,
};

/** Invoke token → how the provider answers it. */
export const INVOKE_ROWS: Readonly<Record<string, InvokeRow>> = {
  "aws:index/getCallerIdentity:getCallerIdentity": async (cloud: Cloud) => {
    const identity = await cloud.sts.send(new GetCallerIdentityCommand({}));
    return {
      accountId: identity.Account ?? null,
      arn: identity.Arn ?? null,
      userId: identity.UserId ?? null,
      id: identity.Account ?? null,
    };
  },
};

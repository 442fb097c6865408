/**
 * IAM's service-specific credentials, which moto lacks, in front of moto: a loopback proxy that
 * answers exactly CreateServiceSpecificCredential, ListServiceSpecificCredentials,
 * UpdateServiceSpecificCredential, ResetServiceSpecificCredential and
 * DeleteServiceSpecificCredential itself, and forwards every other request to moto as it came. For
 * the tests, the engine stand-in and the first-strike script: point `AWS_ENDPOINT_URL` at it.
 *
 * It speaks IAM's query protocol (a form body with `Action=...`, an XML answer) as the SDK for
 * JavaScript and the AWS CLI send it. The services are the three IAM documents (CodeCommit,
 * Keyspaces, Bedrock API keys), two credentials per user and service (IAM's quota), a user must
 * exist in moto, and a Bedrock key given `CredentialAgeDays` expires (then lists as `Expired`).
 * It also records the action of every request it sees, answered or forwarded, so a test can check
 * what a script really called.
 * @see https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceSpecificCredential.html
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_bedrock.html
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

const NAMESPACE = "https://iam.amazonaws.com/doc/2010-05-08/";
/** The services IAM issues service-specific credentials for. */
export const SERVICES = ["bedrock.amazonaws.com", "cassandra.amazonaws.com", "codecommit.amazonaws.com"] as const;
/** Credentials per user and service: IAM's quota. */
export const PER_USER_AND_SERVICE = 2;

export const ANSWERED = [
  "CreateServiceSpecificCredential",
  "ListServiceSpecificCredentials",
  "UpdateServiceSpecificCredential",
  "ResetServiceSpecificCredential",
  "DeleteServiceSpecificCredential",
] as const;

interface Stored {
  id: string;
  userName: string;
  serviceName: string;
  status: "Active" | "Inactive";
  createDate: Date;
  expirationDate: Date | null;
}

export interface ServiceCredentialsProxy {
  url: string;
  /** `iam:ListAccessKeys`, `sts:GetCallerIdentity`, ...: every request seen, in order. */
  calls: string[];
  /** The credentials held, as IAM lists them (no secret). */
  credentials(): { id: string; userName: string; serviceName: string; status: string }[];
  /**
   * Answers every later request for `action` (`ListSSHPublicKeys`) with `reply` instead, as a
   * failing service or a proxy in front of it would (an HTML error page), or as AWS answers a call
   * moto lacks (`AssumeRoot`, with a session's credentials); `undefined` stops it. A reset forgets
   * every fault.
   */
  fault(action: string, reply: FaultReply | undefined): void;
  close(): Promise<void>;
}

/** What a faulty endpoint answers: any status and body, XML or not. */
export interface FaultReply {
  status: number;
  contentType: string;
  body: string;
}

class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const iso = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");
const escapeXml = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const element = (name: string, value: string | null | undefined) =>
  value === null || value === undefined ? "" : `<${name}>${escapeXml(value)}</${name}>`;

/** 21 characters as IAM's: ACCA, then capital letters and digits. */
function credentialId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  return `ACCA${Array.from(randomBytes(17), (byte) => alphabet[byte % alphabet.length]).join("")}`;
}

/** Where a SigV4 request is going: `Credential=AKID/20240101/us-east-1/iam/aws4_request` names the service. */
function serviceOf(authorization: string | undefined): string {
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(authorization ?? "")?.[1] ?? "unknown";
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

export async function startServiceCredentialsProxy(
  target: string,
  now: () => Date = () => new Date(),
): Promise<ServiceCredentialsProxy> {
  const store = new Map<string, Stored>();
  const calls: string[] = [];
  const faults = new Map<string, FaultReply>();
  const upstream = new URL(target);

  /**
   * Whether moto has the user (its GetUser), asked with the caller's own headers. Only moto's
   * NoSuchEntity (404) says no: a moto that checks signatures (moto-api/reset-auth) refuses this
   * request, whose body the caller did not sign, and then the proxy cannot tell and takes the
   * user as existing (a test with signatures checked asks about users that exist).
   */
  const userExists = async (userName: string, authorization: string | undefined): Promise<boolean> => {
    const response = await fetch(target, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        ...(authorization ? { authorization } : {}),
      },
      body: new URLSearchParams({ Action: "GetUser", Version: "2010-05-08", UserName: userName }).toString(),
    });
    await response.arrayBuffer();
    return response.status !== 404;
  };

  const visible = (credential: Stored): Stored & { shownStatus: string } => ({
    ...credential,
    shownStatus:
      credential.expirationDate !== null && credential.expirationDate.getTime() <= now().getTime()
        ? "Expired"
        : credential.status,
  });

  const metadata = (credential: Stored) => {
    const shown = visible(credential);
    const bedrock = credential.serviceName === "bedrock.amazonaws.com";
    return (
      element("UserName", credential.userName) +
      element("Status", shown.shownStatus) +
      (bedrock
        ? element("ServiceCredentialAlias", `${credential.userName}-at-${credential.id.slice(-8).toLowerCase()}`)
        : element("ServiceUserName", `${credential.userName}-at-${credential.id.slice(-8).toLowerCase()}`)) +
      element("CreateDate", iso(credential.createDate)) +
      element("ExpirationDate", credential.expirationDate === null ? null : iso(credential.expirationDate)) +
      element("ServiceSpecificCredentialId", credential.id) +
      element("ServiceName", credential.serviceName)
    );
  };

  /** The credential with its secret: only Create and Reset return one, as IAM does. */
  const withSecret = (credential: Stored) => {
    const secret = randomBytes(33).toString("base64");
    const bedrock = credential.serviceName === "bedrock.amazonaws.com";
    return `<ServiceSpecificCredential>${metadata(credential)}${bedrock ? element("ServiceCredentialSecret", secret) : element("ServicePassword", secret)}</ServiceSpecificCredential>`;
  };

  const find = (params: URLSearchParams): Stored => {
    const id = params.get("ServiceSpecificCredentialId") ?? "";
    const user = params.get("UserName");
    const found = store.get(id);
    if (found === undefined || (user !== null && found.userName !== user)) {
      throw new ApiError(404, "NoSuchEntity", `The Service Specific Credential with id ${id} cannot be found.`);
    }
    return found;
  };

  const answer = async (
    action: (typeof ANSWERED)[number],
    params: URLSearchParams,
    authorization: string | undefined,
  ): Promise<string> => {
    const user = params.get("UserName");
    if (user !== null && !(await userExists(user, authorization)))
      throw new ApiError(404, "NoSuchEntity", `The user with name ${user} cannot be found.`);
    switch (action) {
      case "CreateServiceSpecificCredential": {
        const serviceName = params.get("ServiceName") ?? "";
        if (user === null)
          throw new ApiError(
            400,
            "ValidationError",
            "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null",
          );
        if (!(SERVICES as readonly string[]).includes(serviceName))
          throw new ApiError(
            404,
            "NotSupportedService",
            `Service ${serviceName} is not supported for service specific credentials.`,
          );
        const held = [...store.values()].filter((c) => c.userName === user && c.serviceName === serviceName).length;
        if (held >= PER_USER_AND_SERVICE)
          throw new ApiError(
            409,
            "LimitExceeded",
            `Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: ${PER_USER_AND_SERVICE}`,
          );
        const days = params.get("CredentialAgeDays");
        if (days !== null && serviceName !== "bedrock.amazonaws.com")
          throw new ApiError(400, "ValidationError", "CredentialAgeDays is only valid for Bedrock API keys.");
        const createDate = now();
        const credential: Stored = {
          id: credentialId(),
          userName: user,
          serviceName,
          status: "Active",
          createDate,
          expirationDate: days === null ? null : new Date(createDate.getTime() + Number(days) * 86_400_000),
        };
        store.set(credential.id, credential);
        return withSecret(credential);
      }
      case "ListServiceSpecificCredentials": {
        const service = params.get("ServiceName");
        const all = params.get("AllUsers") === "true";
        const listed = [...store.values()]
          .filter((c) => (all || c.userName === user) && (service === null || c.serviceName === service))
          .sort((a, b) => a.createDate.getTime() - b.createDate.getTime() || a.id.localeCompare(b.id));
        return `<ServiceSpecificCredentials>${listed.map((c) => `<member>${metadata(c)}</member>`).join("")}</ServiceSpecificCredentials><IsTruncated>false</IsTruncated>`;
      }
      case "UpdateServiceSpecificCredential": {
        const credential = find(params);
        const status = params.get("Status");
        if (status !== "Active" && status !== "Inactive") {
          throw new ApiError(
            400,
            "ValidationError",
            `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
          );
        }
        credential.status = status;
        return "";
      }
      case "ResetServiceSpecificCredential":
        return withSecret(find(params));
      case "DeleteServiceSpecificCredential":
        store.delete(find(params).id);
        return "";
    }
  };

  const forward = (request: IncomingMessage, body: Buffer, response: ServerResponse) => {
    const outgoing = httpRequest(
      // The caller's Host header goes along unchanged: it is part of what the caller signed, and a
      // moto that checks signatures (moto-api/reset-auth) refuses a request whose Host was rewritten.
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (reply) => {
        response.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(response);
      },
    );
    outgoing.on("error", (error) => {
      response.writeHead(502, { "content-type": "text/plain" });
      response.end(`moto could not be reached: ${error.message}`);
    });
    outgoing.end(body);
  };

  const server = createServer(async (request, response) => {
    try {
      const body = await readBody(request);
      if (request.url?.startsWith("/moto-api/reset")) {
        store.clear();
        faults.clear();
      }
      const form = (request.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")
        ? new URLSearchParams(body.toString("utf8"))
        : undefined;
      const action = form?.get("Action") ?? request.headers["x-amz-target"]?.toString().split(".").pop();
      if (action !== undefined && action !== null) calls.push(`${serviceOf(request.headers.authorization)}:${action}`);
      const service = serviceOf(request.headers.authorization);
      const fault = action === undefined || action === null ? undefined : faults.get(action);
      if (fault !== undefined) {
        response.writeHead(fault.status, { "content-type": fault.contentType });
        response.end(fault.body);
        return;
      }
      if (form !== undefined && service === "iam" && (ANSWERED as readonly string[]).includes(action ?? "")) {
        const requestId = randomUUID();
        try {
          const result = await answer(action as (typeof ANSWERED)[number], form, request.headers.authorization);
          const text = `<${action}Response xmlns="${NAMESPACE}">${result === "" ? "" : `<${action}Result>${result}</${action}Result>`}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
          response.writeHead(200, { "content-type": "text/xml", "x-amzn-requestid": requestId });
          response.end(text);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          response.writeHead(error.status, { "content-type": "text/xml", "x-amzn-requestid": requestId });
          response.end(
            `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
          );
        }
        return;
      }
      forward(request, body, response);
    } catch (error) {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end(String((error as Error).message));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    fault(action, reply) {
      if (reply === undefined) faults.delete(action);
      else faults.set(action, reply);
    },
    credentials: () =>
      [...store.values()].map((c) => ({
        id: c.id,
        userName: c.userName,
        serviceName: c.serviceName,
        status: visible(c).shownStatus,
      })),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

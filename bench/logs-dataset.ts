/**
 * The dataset of `npm run bench:logs` (issue 12): gzipped CloudTrail log files as CloudTrail
 * delivers them (`AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/…json.gz`, `{"Records": [...]}`), made
 * from a seed and a size, the same bytes every time.
 *
 * Every record is a real one: a record of the recordings in test/fixtures/cloudtrail, with a new
 * identity, id, time, region and address, so that shapes and sizes (about 1.3 KB of JSON a record)
 * are CloudTrail's own. About 1 % of the events are signed by the reviewed key; the rest by other
 * users, role sessions and AWS services, about 2 % of which mint keys too (AssumeRole by services and
 * by role sessions). The reviewed key's chain, once per day of logs:
 *  - AssumeRole calls whose minted keys are used within their hour, one of them chaining a second
 *    AssumeRole whose key is used in turn;
 *  - a GetSessionToken whose key is used over its twelve hours;
 *  - CreateUser, CreateLoginProfile and CreateAccessKey for a new user, whose key is used until the
 *    end of the logs, and whose console sign-ins follow.
 * 2,500 events a file, four regions, files of 30 minutes: 500,000 events are 200 files over 25 hours.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";

export const REVIEWED_KEY = "AKIABENCHREVIEWED001";
const ACCOUNT = "111122223333";
const REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"];
export const EVENTS_PER_FILE = 2_500;
const SLOT_MS = 30 * 60_000;
const START = Date.parse("2026-11-01T00:00:00Z");
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Bump when the generator changes, so that cached datasets are made again. */
const GENERATOR_VERSION = 1;

type Json = Record<string, unknown>;

/** sfc32: small, fast, and the same sequence on every machine. */
function random(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 31);
  let c = 0xb7e15162;
  let d = 1;
  const next = () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 20; i++) next();
  return next;
}

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = random(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chars(alphabet: string, n: number): string {
    let out = "";
    for (let i = 0; i < n; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }
  key(prefix: "AKIA" | "ASIA"): string {
    return prefix + this.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
  }
  uuid(): string {
    const h = this.chars("0123456789abcdef", 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }
  ip(): string {
    return `${[198, 203, 192, 100][this.int(4)]}.${this.int(256)}.${this.int(256)}.${1 + this.int(254)}`;
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
/** The STS spelling of an expiration, as the recordings have it: `Jul 10, 2023, 12:09:47 PM`. */
function stsTime(ms: number): string {
  const d = new Date(ms);
  const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()];
  const hour = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${month} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${hour}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? "AM" : "PM"}`;
}

function loadTemplates(repo: string): Json[] {
  const records: Json[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".json.gz")) {
        const document = JSON.parse(gunzipSync(readFileSync(path)).toString("utf8")) as unknown;
        records.push(...((Array.isArray(document) ? document : (document as { Records: Json[] }).Records) as Json[]));
      }
    }
  };
  walk(join(repo, "test", "fixtures", "cloudtrail"));
  return records;
}

const MINTING = new Set([
  "AssumeRole",
  "GetSessionToken",
  "GetFederationToken",
  "CreateAccessKey",
  "CreateUser",
  "CreateLoginProfile",
  "UpdateLoginProfile",
  "AssumeRoleWithSAML",
  "AssumeRoleWithWebIdentity",
]);
const ANY_KEY = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g;

interface Principal {
  identity: Json;
  userAgent: string;
  ip: string;
}

function userPrincipal(userName: string, accessKeyId: string | null, rng: Rng): Principal {
  const identity: Json = {
    type: "IAMUser",
    principalId: `AIDA${rng.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17)}`,
    arn: `arn:aws:iam::${ACCOUNT}:user/${userName}`,
    accountId: ACCOUNT,
  };
  if (accessKeyId !== null) identity.accessKeyId = accessKeyId;
  identity.userName = userName;
  return { identity, userAgent: rng.pick(AGENTS), ip: rng.ip() };
}

function rolePrincipal(roleName: string, accessKeyId: string, rng: Rng): Principal {
  const roleId = `AROA${rng.chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17)}`;
  const session = `session-${rng.chars("0123456789", 10)}`;
  return {
    identity: {
      type: "AssumedRole",
      principalId: `${roleId}:${session}`,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${session}`,
      accountId: ACCOUNT,
      accessKeyId,
      sessionContext: {
        sessionIssuer: {
          type: "Role",
          principalId: roleId,
          arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
          accountId: ACCOUNT,
          userName: roleName,
        },
        attributes: { creationDate: "2026-11-01T00:00:00Z", mfaAuthenticated: "false" },
      },
    },
    userAgent: rng.pick(AGENTS),
    ip: rng.ip(),
  };
}

const AGENTS = [
  "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.describe-instances",
  "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/sts#1.28.1",
  "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51",
  "aws-sdk-js/3.540.0 ua/2.0 os/linux#5.10.0 lang/js md/nodejs#20.11.1 api/s3#3.540.0",
  "terraform-provider-aws/5.40.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3",
  "console.amazonaws.com",
];

/** A record made from a template: the template's call, the given identity, time, region and id. */
function fromTemplate(
  template: Json,
  principal: Principal,
  at: number,
  region: string,
  rng: Rng,
  keys: Map<string, string>,
): Json {
  // Keys the recordings mention (minted, created, listed) become other keys, one for one.
  const text = JSON.stringify({
    requestParameters: template.requestParameters ?? null,
    responseElements: template.responseElements ?? null,
    resources: template.resources,
  }).replace(ANY_KEY, (key) => {
    let other = keys.get(key);
    if (other === undefined) keys.set(key, (other = rng.key(key.startsWith("AKIA") ? "AKIA" : "ASIA")));
    return other;
  });
  const { requestParameters, responseElements, resources } = JSON.parse(text) as Json;
  const record: Json = {
    eventVersion: template.eventVersion ?? "1.08",
    userIdentity: principal.identity,
    eventTime: iso(at),
    eventSource: template.eventSource,
    eventName: template.eventName,
    awsRegion: region,
    sourceIPAddress: principal.ip,
    userAgent: principal.userAgent,
  };
  if (template.errorCode !== undefined) record.errorCode = template.errorCode;
  if (template.errorMessage !== undefined) record.errorMessage = template.errorMessage;
  record.requestParameters = requestParameters;
  record.responseElements = responseElements;
  record.requestID = rng.uuid();
  record.eventID = rng.uuid();
  if (template.readOnly !== undefined) record.readOnly = template.readOnly;
  if (resources !== undefined) record.resources = resources;
  record.eventType = template.eventType ?? "AwsApiCall";
  record.managementEvent = template.managementEvent ?? true;
  record.recipientAccountId = ACCOUNT;
  record.eventCategory = template.eventCategory ?? "Management";
  if (template.tlsDetails !== undefined) record.tlsDetails = template.tlsDetails;
  return record;
}

interface Planned {
  at: number;
  region: string;
  make: (rng: Rng) => Json;
}

export interface DatasetInfo {
  dir: string;
  events: number;
  files: number;
  /** Bytes of JSON, uncompressed. */
  jsonBytes: number;
  /** Events signed by the reviewed key. */
  reviewedKeyEvents: number;
}

/**
 * Makes (or finds in `cacheDir`) the dataset of `events` events for `seed`. The folder is named
 * after the seed, the size and the generator's version, and is complete once `FOLDER.json` exists beside it.
 */
export function dataset(
  repo: string,
  cacheDir: string,
  seed: number,
  events: number,
  log: (line: string) => void = () => {},
): DatasetInfo {
  const dir = resolve(cacheDir, `cloudtrail-v${GENERATOR_VERSION}-seed${seed}-${events}`);
  // Beside the folder, not in it: the folder holds log files only.
  const manifest = `${dir}.json`;
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, "utf8")) as DatasetInfo;
  const building = `${dir}.partial`;
  rmSync(building, { recursive: true, force: true });

  const rng = new Rng(seed);
  const templates = loadTemplates(repo);
  const ordinary = templates.filter((t) => !MINTING.has(t.eventName as string) && t.eventName !== "ConsoleLogin");
  const assumeRole = templates.find(
    (t) =>
      t.eventName === "AssumeRole" &&
      t.errorCode === undefined &&
      (t.responseElements as Json | null)?.credentials !== undefined,
  )!;
  const byName = (name: string) => templates.find((t) => t.eventName === name && t.errorCode === undefined)!;
  const files = Math.ceil(events / EVENTS_PER_FILE);
  const slots = Math.ceil(files / REGIONS.length);
  const end = START + slots * SLOT_MS;
  const keys = new Map<string, string>();

  // The reviewed key and its chain, planned first; background fills each file up to its size.
  const planned: Planned[] = [];
  const reviewed = userPrincipal("ci-deployer", REVIEWED_KEY, rng);
  const anyRegion = () => rng.pick(REGIONS);
  const anyTime = (from: number, to: number) =>
    from + Math.floor(rng.next() * Math.max(1, Math.min(to, end - 1) - from));
  const ordinaryCall = (principal: Principal) => (r: Rng) => fromTemplate(r.pick(ordinary), principal, 0, "", r, keys);
  const place = (at: number, region: string, make: (r: Rng) => Json) =>
    planned.push({ at, region, make: (r) => ({ ...make(r), eventTime: iso(at), awsRegion: region }) });

  const reviewedCount = Math.round(events * 0.01);
  for (let i = 0; i < reviewedCount; i++) place(anyTime(START, end), anyRegion(), ordinaryCall(reviewed));

  const mint = (
    caller: Principal,
    at: number,
    name: "AssumeRole" | "GetSessionToken",
    lifetime: number,
    roleName: string,
  ): Principal => {
    const minted = rng.key("ASIA");
    const expiration = name === "AssumeRole" ? stsTime(at + lifetime) : iso(at + lifetime);
    place(at, "us-east-1", (r) => {
      const record = fromTemplate(name === "AssumeRole" ? assumeRole : assumeRole, caller, at, "us-east-1", r, keys);
      record.eventName = name;
      record.requestParameters =
        name === "AssumeRole"
          ? {
              roleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
              roleSessionName: `s-${r.chars("0123456789", 8)}`,
              durationSeconds: lifetime / 1000,
            }
          : { durationSeconds: lifetime / 1000 };
      const credentials = {
        ...((record.responseElements as Json).credentials as Json),
        accessKeyId: minted,
        expiration,
      };
      record.responseElements = { ...(record.responseElements as Json), credentials };
      return record;
    });
    return name === "AssumeRole" ? rolePrincipal(roleName, minted, rng) : userPrincipal("ci-deployer", minted, rng);
  };
  const use = (principal: Principal, from: number, to: number, n: number) => {
    for (let i = 0; i < n; i++) place(anyTime(from, to), anyRegion(), ordinaryCall(principal));
  };

  for (let day = START; day < end; day += DAY) {
    for (let i = 0; i < 6; i++) {
      const at = anyTime(day, day + DAY - HOUR);
      const session = mint(reviewed, at, "AssumeRole", HOUR, `deploy-role-${i}`);
      use(session, at + 1000, at + HOUR, 40);
      if (i === 0) {
        const chained = mint(session, at + 60_000, "AssumeRole", HOUR, "data-reader");
        use(chained, at + 61_000, at + HOUR, 25);
      }
    }
    const tokenAt = anyTime(day, day + 6 * HOUR);
    use(mint(reviewed, tokenAt, "GetSessionToken", 12 * HOUR, ""), tokenAt + 1000, tokenAt + 12 * HOUR, 150);

    const userName = `backup-${rng.chars("abcdefghijklmnopqrstuvwxyz", 6)}`;
    const created = rng.key("AKIA");
    const createdAt = anyTime(day, day + 8 * HOUR);
    place(createdAt, "us-east-1", (r) => ({
      ...fromTemplate(byName("CreateUser"), reviewed, 0, "", r, keys),
      requestParameters: { userName },
      responseElements: {
        user: { userName, arn: `arn:aws:iam::${ACCOUNT}:user/${userName}`, createDate: stsTime(createdAt) },
      },
    }));
    place(createdAt + 2000, "us-east-1", (r) => ({
      ...fromTemplate(byName("CreateLoginProfile"), reviewed, 0, "", r, keys),
      requestParameters: { userName, passwordResetRequired: false },
    }));
    place(createdAt + 4000, "us-east-1", (r) => ({
      ...fromTemplate(byName("CreateAccessKey"), reviewed, 0, "", r, keys),
      requestParameters: { userName },
      responseElements: {
        accessKey: { userName, accessKeyId: created, status: "Active", createDate: stsTime(createdAt + 4000) },
      },
    }));
    use(userPrincipal(userName, created, rng), createdAt + 60_000, end, 120);
    use(userPrincipal(userName, null, rng), createdAt + 60_000, end, 10);
  }

  // Background: users with long-term keys, role sessions, and AWS services assuming roles.
  const users = Array.from({ length: 40 }, (_, i) => userPrincipal(`user-${i}`, rng.key("AKIA"), rng));
  const sessions = Array.from({ length: 60 }, (_, i) => rolePrincipal(`app-role-${i}`, rng.key("ASIA"), rng));
  const service: Principal = {
    identity: { type: "AWSService", invokedBy: "lambda.amazonaws.com" },
    userAgent: "lambda.amazonaws.com",
    ip: "lambda.amazonaws.com",
  };
  const perFile: Planned[][] = Array.from({ length: files }, () => []);
  const fileOf = (at: number, region: string) =>
    Math.min(files - 1, Math.floor((at - START) / SLOT_MS) * REGIONS.length + REGIONS.indexOf(region));
  for (const p of planned) perFile[fileOf(p.at, p.region)].push(p);

  mkdirSync(building, { recursive: true });
  let jsonBytes = 0;
  let written = 0;
  for (let file = 0; file < files; file++) {
    const region = REGIONS[file % REGIONS.length];
    const slotStart = START + Math.floor(file / REGIONS.length) * SLOT_MS;
    const size = Math.min(EVENTS_PER_FILE, events - file * EVENTS_PER_FILE);
    const records: { at: number; record: Json }[] = [];
    for (const p of perFile[file]) if (records.length < size) records.push({ at: p.at, record: p.make(rng) });
    while (records.length < size) {
      const at = slotStart + rng.int(SLOT_MS);
      const roll = rng.next();
      let record: Json;
      if (roll < 0.02) {
        record = fromTemplate(assumeRole, roll < 0.01 ? service : rng.pick(sessions), at, region, rng, keys);
        const response = record.responseElements as Json;
        record.responseElements = {
          ...response,
          credentials: {
            ...(response.credentials as Json),
            accessKeyId: rng.key("ASIA"),
            expiration: stsTime(at + HOUR),
          },
        };
      } else
        record = fromTemplate(
          rng.pick(ordinary),
          roll < 0.6 ? rng.pick(users) : rng.pick(sessions),
          at,
          region,
          rng,
          keys,
        );
      records.push({ at, record: { ...record, eventTime: iso(at), awsRegion: region } });
    }
    records.sort((a, b) => a.at - b.at);
    const text = JSON.stringify({ Records: records.map((r) => r.record) });
    jsonBytes += Buffer.byteLength(text);
    written += records.length;
    const stamp = iso(slotStart)
      .replace(/[-:]/g, "")
      .replace(/\d{2}Z$/, "Z");
    const day = new Date(slotStart);
    const folder = join(
      building,
      "AWSLogs",
      ACCOUNT,
      "CloudTrail",
      region,
      String(day.getUTCFullYear()),
      String(day.getUTCMonth() + 1).padStart(2, "0"),
      String(day.getUTCDate()).padStart(2, "0"),
    );
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(
        folder,
        `${ACCOUNT}_CloudTrail_${region}_${stamp}_${rng.chars("abcdefghijklmnopqrstuvwxyz0123456789", 16)}.json.gz`,
      ),
      gzipSync(text),
    );
    if (file % 50 === 49) log(`  ${file + 1}/${files} files`);
  }
  const info: DatasetInfo = { dir, events: written, files, jsonBytes, reviewedKeyEvents: reviewedCount };
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  writeFileSync(manifest, `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

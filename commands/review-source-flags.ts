/**
 * The flags of `review --from-s3` and `review --athena`, checked together. Apart from the sources
 * themselves (commands/review-sources.ts), so that parsing them loads no AWS client: a review of
 * LookupEvents starts as fast as it did.
 */
import { UsageError } from "../cli/io.ts";
import { SQL_NAME } from "../review/sql.ts";
import { ACCOUNT_ID, parseS3Url, type S3Location } from "../review/trail-layout.ts";

export const SOURCE_FLAGS = {
  "from-s3": { type: "string" },
  accounts: { type: "string" },
  athena: { type: "string" },
  database: { type: "string" },
  workgroup: { type: "string" },
  "output-location": { type: "string" },
} as const;

export interface AthenaFlags {
  table: string;
  database: string;
  workgroup?: string;
  outputLocation?: string;
}

/** An Athena workgroup name. @see https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroup.html */
const WORKGROUP = /^[a-zA-Z0-9._-]{1,128}$/;

function parseAccounts(value: string | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const accounts = [...new Set(value.split(",").map((account) => account.trim()))].sort();
  const wrong = accounts.find((account) => !ACCOUNT_ID.test(account));
  if (wrong !== undefined) throw new UsageError(`--accounts "${value}": "${wrong}" is not an account id; expected 12 digits, such as 111122223333,444455556666`);
  return accounts;
}

function s3Flag(name: string, value: string): S3Location {
  const location = parseS3Url(value);
  if (typeof location === "string") throw new UsageError(`--${name}: ${location}`);
  return location;
}

/** The source flags, checked together: one source at most, and what each needs. */
export function parseSourceFlags(values: Record<string, string | boolean | undefined>, since: Date | undefined): { fromS3?: S3Location; accounts?: readonly string[]; athena?: AthenaFlags } {
  const text = (name: string) => values[name] as string | undefined;
  const sources = ["from-logs", "from-s3", "athena"].filter((name) => text(name) !== undefined);
  if (sources.length > 1) throw new UsageError(`--${sources[0]} and --${sources[1]} cannot be used together: choose one source of events`);
  const athenaOnly = ["database", "workgroup", "output-location"].find((name) => text(name) !== undefined);
  if (athenaOnly !== undefined && text("athena") === undefined) throw new UsageError(`--${athenaOnly} is for --athena TABLE`);
  if (text("accounts") !== undefined && sources.length === 0) throw new UsageError("--accounts is for --from-s3 and --athena: LookupEvents reads the credentials' own account");
  if (text("accounts") !== undefined && text("from-logs") !== undefined) throw new UsageError("--accounts is for --from-s3 and --athena, not --from-logs");
  const accounts = parseAccounts(text("accounts"));
  const needSince = (flag: string) => {
    if (since === undefined) throw new UsageError(`--${flag} needs --since: a trail's files are kept by day, and a review without a start would read the whole trail`);
  };
  if (text("from-s3") !== undefined) {
    needSince("from-s3");
    return { fromS3: s3Flag("from-s3", text("from-s3") as string), accounts };
  }
  const table = text("athena");
  if (table === undefined) return {};
  needSince("athena");
  if (!SQL_NAME.test(table)) throw new UsageError(`--athena "${table}": not a table name; expected letters, digits and _ (the database goes in --database)`);
  if (accounts === undefined) throw new UsageError("--athena needs --accounts: the table's account partition is injected, and every query names the accounts it reads");
  const database = text("database") ?? "default";
  if (!SQL_NAME.test(database)) throw new UsageError(`--database "${database}": not a database name; expected letters, digits and _`);
  const workgroup = text("workgroup");
  if (workgroup !== undefined && !WORKGROUP.test(workgroup)) throw new UsageError(`--workgroup "${workgroup}": not a workgroup name; expected letters, digits, ".", "_" and "-"`);
  const output = text("output-location");
  if (output !== undefined) s3Flag("output-location", output);
  return { accounts, athena: { table, database, workgroup, outputLocation: output } };
}

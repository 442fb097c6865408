/**
 * The review's SQL on an embedded engine: DuckDB reads CloudTrail files laid out as in S3, and the
 * same round queries run on it as on Athena, rendered for DuckDB's JSON functions. The partition
 * columns come from each file's path, as Athena's projection derives them from the storage
 * template, so the partition predicates are tested too.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { Dialect, QueryRunner, Row } from "../../review/trail/athena.ts";
import { sqlString } from "../../review/trail/sql.ts";

const PATHS: Record<string, string> = {
  eventid: "$.eventID",
  eventname: "$.eventName",
  eventsource: "$.eventSource",
  eventtime: "$.eventTime",
  awsregion: "$.awsRegion",
  accesskeyid: "$.userIdentity.accessKeyId",
  username: "$.userIdentity.userName",
  issuerusername: "$.userIdentity.sessionContext.sessionIssuer.userName",
  arn: "$.userIdentity.arn",
  identitytype: "$.userIdentity.type",
  accountid: "$.userIdentity.accountId",
  recipientaccountid: "$.recipientAccountId",
  readonly: "$.readOnly",
  sourceipaddress: "$.sourceIPAddress",
  useragent: "$.userAgent",
  errorcode: "$.errorCode",
  errormessage: "$.errorMessage",
};

/** DuckDB over every `.json.gz` under the folders `roots` (each holding AWSLogs/). */
export function duckDialect(roots: readonly string[]): Dialect {
  const files = `[${roots.map((root) => sqlString(`${root}/**/*.json.gz`)).join(", ")}]`;
  const layout = "'/AWSLogs/(o-[a-z0-9]+/)?([0-9]{12})/CloudTrail/([a-z0-9-]+)/([0-9]{4}/[0-9]{2}/[0-9]{2})/'";
  return {
    from: `(SELECT r, filename AS path,
        regexp_extract(filename, ${layout}, 2) AS account,
        regexp_extract(filename, ${layout}, 3) AS region,
        regexp_extract(filename, ${layout}, 4) AS "timestamp"
      FROM (SELECT filename, unnest(Records) AS r FROM read_json(${files}, columns = {Records: 'JSON[]'}, filename = true, maximum_object_size = 268435456)))`,
    column: (name) => {
      if (name === "path") return "path";
      // JSON text, as Athena's string columns hold request parameters and response elements.
      if (name === "requestparameters") return "CAST(r->'$.requestParameters' AS VARCHAR)";
      if (name === "responseelements") return "CAST(r->'$.responseElements' AS VARCHAR)";
      return `(r->>${sqlString(PATHS[name])})`;
    },
    partition: { account: "account", region: "region", day: '"timestamp"' },
  };
}

export class DuckDbRunner implements QueryRunner {
  readonly queries: string[] = [];
  private connection: Promise<DuckDBConnection> | null = null;

  private connect(): Promise<DuckDBConnection> {
    this.connection ??= DuckDBInstance.create(":memory:").then((instance) => instance.connect());
    return this.connection;
  }

  /** Any SQL, rows as JSON-friendly objects. */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await (await this.connect()).runAndReadAll(sql);
    return reader.getRowObjectsJson() as Record<string, unknown>[];
  }

  async run(sql: string): Promise<{ rows: Row[]; dataScannedBytes: number; queryId: string }> {
    this.queries.push(sql);
    const rows = (await this.rows(sql)) as Row[];
    return { rows, dataScannedBytes: 0, queryId: `duckdb-${this.queries.length}` };
  }

  async close(): Promise<void> {
    (await this.connection)?.closeSync();
  }
}

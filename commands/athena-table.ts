/**
 * `athena-table`: the CREATE TABLE that `review --athena` queries, for one trail's bucket. Prints,
 * never runs: creating a table is the account owner's decision, and needs no AWS call here.
 */
import { parseFlags, stringFlags, type Command } from "../cli/command.ts";
import { EXIT_OK, UsageError } from "../cli/io.ts";
import { COMMERCIAL_REGIONS, REGION_NAME } from "../review/core/regions.ts";
import { DDL_PREFIX, tableDdl } from "../review/trail/ddl.ts";
import { SQL_NAME } from "../review/trail/sql.ts";
import { BUCKET_NAME, ORG_ID } from "../review/trail/layout.ts";

const DEFAULT_NAME = "cloudtrail_logs";
const DAY = /^(\d{4})\/(\d{2})\/(\d{2})$/;

const usage = `usage: npx cordon athena-table --bucket BUCKET [--prefix PREFIX] [--org o-...] [--name NAME]
                                [--regions R1,R2] [--first-day YYYY/MM/DD]

Prints the Athena CREATE TABLE for a CloudTrail trail's bucket, for \`review --athena\`: the
columns, SerDe and formats AWS documents for CloudTrail (create-cloudtrail-table-partition-projection),
with partition projection over the account (injected: every query names its accounts), the region
and the day, so that no query reads more than the days, accounts and regions it names. Run it in
the Athena console or with \`aws athena start-query-execution\`.

options:
  --bucket BUCKET      the trail's bucket (required)
  --prefix PREFIX      the folder above AWSLogs/, if the trail has one
  --org o-...          an organization trail's id: its files are under AWSLogs/o-.../ACCOUNT/
  --name NAME          the table's name (default: ${DEFAULT_NAME})
  --regions LIST       the regions the table knows (default: every commercial region)
  --first-day DAY      the first day of the projection, YYYY/MM/DD (default: 2020/01/01)
  -h, --help           this text

exit codes: 0 printed · 2 misused
`;

export const athenaTableCommand: Command = {
  name: "athena-table",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseFlags(
      argv,
      stringFlags("bucket", "prefix", "org", "name", "regions", "first-day"),
    );
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument "${positionals[0]}"; the bucket goes in --bucket`);
    const bucket = values.bucket;
    if (bucket === undefined)
      throw new UsageError("--bucket is required: the bucket the trail delivers its log files to");
    if (!BUCKET_NAME.test(bucket) || bucket.includes(".."))
      throw new UsageError(
        `--bucket "${bucket}": not an S3 bucket name; expected 3 to 63 lowercase letters, digits, dots and hyphens, without s3://`,
      );
    const prefix = (values.prefix ?? "").replace(/^\/+|\/+$/g, "");
    if (!DDL_PREFIX.test(prefix))
      throw new UsageError(
        `--prefix "${values.prefix}": expected letters, digits and ! _ . * ( ) / - only, as S3 recommends for key names`,
      );
    if (/(^|\/)AWSLogs(\/|$)/.test(prefix))
      throw new UsageError(`--prefix "${values.prefix}": the prefix is the folder above AWSLogs/, without it`);
    const org = values.org;
    if (org !== undefined && !ORG_ID.test(org))
      throw new UsageError(
        `--org "${org}": not an organization id; expected o- and 10 to 32 lowercase letters or digits, such as o-a1b2c3d4e5`,
      );
    const name = values.name ?? DEFAULT_NAME;
    if (!SQL_NAME.test(name))
      throw new UsageError(
        `--name "${name}": not a table name; expected letters, digits and _ (Athena keeps them lowercase)`,
      );
    const regions =
      values.regions === undefined
        ? COMMERCIAL_REGIONS
        : [...new Set(values.regions.split(",").map((region) => region.trim()))];
    const wrong = regions.find((region) => !REGION_NAME.test(region));
    if (wrong !== undefined)
      throw new UsageError(
        `--regions "${values.regions}": "${wrong}" is not a region name; expected names such as us-east-1,eu-west-1`,
      );
    const firstDay = values["first-day"];
    if (firstDay !== undefined) {
      const day = DAY.exec(firstDay);
      const valid =
        day !== null &&
        new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])))
          .toISOString()
          .slice(0, 10)
          .replace(/-/g, "/") === firstDay;
      if (!valid) throw new UsageError(`--first-day "${firstDay}": not a day; expected YYYY/MM/DD, such as 2024/01/31`);
    }
    io.out(tableDdl({ bucket, prefix, org, name, regions, firstDay }));
    io.err(
      "athena-table: columns, SerDe, formats and the day projection as AWS documents them; the account and region partitions are cordon's (docs/review.md)\n",
    );
    return EXIT_OK;
  },
};

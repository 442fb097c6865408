/**
 * The yardstick of `npm run bench:logs`: DuckDB counting one key's events over every file of a
 * folder, in one query (its JSON reader reads the gzipped files on every core, and only the
 * `userIdentity.accessKeyId` of each record). Usage: node bench/logs-duckdb.ts DIR KEY
 */
import { DuckDBInstance } from "@duckdb/node-api";

const [dir, key] = process.argv.slice(2);
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
const connection = await (await DuckDBInstance.create(":memory:")).connect();
const reader = await connection.runAndReadAll(
  `SELECT count(*) AS events FROM (
     SELECT unnest(Records, recursive := true)
     FROM read_json(${quote(`${dir}/**/*.json.gz`)}, columns = {Records: 'STRUCT(userIdentity STRUCT(accessKeyId VARCHAR))[]'}, format = 'unstructured', compression = 'gzip')
   ) WHERE accessKeyId = ${quote(key)}`,
);
console.log(String(reader.getRows()[0][0]));

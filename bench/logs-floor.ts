/**
 * The floor of `npm run bench:logs`: one pass of Node's own gunzip and JSON.parse over every file
 * of a folder, on one thread, counting the records. Usage: node bench/logs-floor.ts DIR
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

const dir = process.argv[2];
let records = 0;
const folders = [dir];
for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) folders.push(path);
    else if (entry.name.endsWith(".json.gz"))
      records += (JSON.parse(gunzipSync(readFileSync(path)).toString("utf8")) as { Records: unknown[] }).Records.length;
  }
}
console.log(records);

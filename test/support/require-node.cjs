// `npm test`'s first step (package.json "pretest"): on a Node.js older than package.json's
// "engines" range, stop at once with one line that says how to get a supported one, instead of
// running the suite for minutes on a runtime that cannot strip TypeScript types or lacks
// `Map.groupBy`. Plain CommonJS, so that any Node.js can run it. The range has one home: "engines".
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

const range = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")).engines.node;
const minimum = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(range);
if (minimum === null) {
  process.stderr.write(`cordon: package.json's engines.node is "${range}", expected ">=MAJOR.MINOR.PATCH"\n`);
  process.exit(2);
}
const have = process.versions.node.split(".").map(Number);
const want = minimum.slice(1).map(Number);
const older = have[0] !== want[0] ? have[0] < want[0] : have[1] !== want[1] ? have[1] < want[1] : have[2] < want[2];
if (older) {
  process.stderr.write(
    `cordon: Node.js ${process.versions.node} is older than ${want.join(".")} (package.json "engines"): ` +
      `get Node.js 24 with \`npm install --prefix ~/.cache/node24 node@24\` and put ~/.cache/node24/node_modules/.bin first on PATH (README, Requirements)\n`,
  );
  process.exit(1);
}

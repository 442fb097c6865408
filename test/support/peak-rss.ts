/**
 * Preloaded into a child process (`node --import ./test/support/peak-rss.ts ...`): writes the
 * process's peak resident memory, in KiB, to the file PEAK_RSS_FILE names, when it exits. Reader
 * threads are in the process, so they count.
 */
import { writeFileSync } from "node:fs";

const file = process.env.PEAK_RSS_FILE;
if (file !== undefined) process.on("exit", () => writeFileSync(file, String(process.resourceUsage().maxRSS)));

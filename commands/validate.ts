import { displaySafe } from "../incident/display.ts";
import { parseFlags, parseInstantFlag, stringFlags, type Command } from "../cli/command.ts";
import { loadOrReport } from "../cli/incidents.ts";
import { EXIT_INVALID, EXIT_OK } from "../cli/io.ts";

export const validateCommand: Command = {
  name: "validate",
  usage: `usage: npx cordon validate [PATH...] [--now ISO]

Checks incident files (PATH: files or folders, default the project's incidents/, found from any of
its subfolders) against the schema and cordon's rules, and lists every error of every file, as
FILE:LINE:COL CODE message. Outside a project (no Pulumi.yaml here or above), name the files.

options:
  --now ISO   the instant the cutoff is checked against (default: now)
  -h, --help  this text

exit: 0 all valid, 1 any invalid, 2 usage error`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, stringFlags("now"));
    const now = parseInstantFlag("now", values.now) ?? new Date();
    const incidents = loadOrReport(positionals, io, now);
    if (!incidents) return EXIT_INVALID;
    const count = incidents.length;
    io.out(
      displaySafe(
        count === 0
          ? "no incident files found: nothing to validate\n"
          : `${count} ${count === 1 ? "incident" : "incidents"} valid: ${incidents.map((i) => i.id).join(", ")}\n`,
      ),
    );
    return EXIT_OK;
  },
};

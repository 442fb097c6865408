import { incidentStatuses, renderStatus } from "../lifecycle/status.ts";
import { parseFlags, type Command } from "../cli/command.ts";
import { DEFAULT_INCIDENTS_DIR, loadOrReport, readPreamble } from "../cli/incidents.ts";
import { EXIT_INVALID, EXIT_OK } from "../cli/io.ts";

export const statusCommand: Command = {
  name: "status",
  summary: "per incident: cutoff, expiry, time left, whether the file can be removed",
  usage: `usage: npx cordon status [PATH...] [--now ISO] [--stack-outputs FILE] [--json]

Per incident (PATH: files or folders, default incidents/): the cutoff, when it expires (cutoff +
36 h when it names a user, + 12 h for roles only, or holdUntil when later), the time left, and
whether its file can now be removed. An at-containment incident whose instant is not known is
never removable: pass the stack outputs to know it.

options:
  --now ISO             the instant to judge at (default: now)
  --stack-outputs FILE  \`pulumi stack output --json\`: the recorded at-containment instants
  --json                {"incidents": [{"id", "file", "cutoff", "expiresAt", "removable", ...}]}
  -h, --help            this text

exit: 0 status shown, 1 any incident file invalid (no status then), 2 usage error`,
  async run(argv, io) {
    const { values, positionals } = parseFlags(argv, {
      now: { type: "string" },
      "stack-outputs": { type: "string" },
      json: { type: "boolean" },
    });
    const { now, containment } = readPreamble(values, io);
    const incidents = loadOrReport(positionals, io, now);
    if (!incidents) return EXIT_INVALID;
    const statuses = incidentStatuses(incidents, now, containment);
    if (values.json) io.out(`${JSON.stringify({ incidents: statuses }, null, 2)}\n`);
    else io.out(renderStatus(statuses, now, positionals.length > 0 ? positionals.join(", ") : `${DEFAULT_INCIDENTS_DIR}/`));
    return EXIT_OK;
  },
};

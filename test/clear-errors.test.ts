/**
 * Issue 10, item 11: problems that had no message of their own (an uncaught EACCES, a silent
 * roll-over, "found a mapping") each get a specific one, word for word, while the other files'
 * problems are still listed. Each kind is checked over generated inputs, not one fixture.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, type Dirent } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { memoryIo } from "../cli/io.ts";
import { main } from "../cli/main.ts";
import { reportDiagnostics } from "../cli/incidents.ts";
import { formatDiagnostic } from "../incident/diagnostics.ts";
import { loadIncidents } from "../incident/load.ts";
import { loadIncidentPaths, type ListFolder } from "../incident/read.ts";
import { usageOutput } from "./support/usage.ts";

const NOW = new Date("2026-11-28T12:00:00Z");
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) {
    try {
      chmodSync(join(dir, "incidents", "locked"), 0o755);
    } catch {
      // not a folder with a locked sub-folder
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

const valid = (id: string, account = "123456789012", more: Record<string, unknown> = {}) => ({
  id,
  title: "t",
  account,
  cutoff: "2026-11-28T10:00:00Z",
  users: [{ name: "dana" }],
  ...more,
});

describe("an unreadable sub-folder", () => {
  /**
   * chmod 000 denies reading a folder, but not to root, which reads it anyway (CAP_DAC_OVERRIDE):
   * there, the same failure is injected where the folder is listed.
   */
  function lockedFolder(): { dir: string; list: ListFolder | undefined; how: string } {
    const dir = mkdtempSync(join(tmpdir(), "cordon-locked-"));
    dirs.push(dir);
    mkdirSync(join(dir, "incidents", "locked"), { recursive: true });
    writeFileSync(join(dir, "incidents", "locked", "2026-11-28-hidden.yaml"), stringify(valid("2026-11-28-hidden")));
    writeFileSync(join(dir, "incidents", "2026-11-28-fine.yaml"), stringify(valid("2026-11-28-fine")));
    writeFileSync(join(dir, "incidents", "broken.yaml"), stringify({ ...valid("broken"), account: "1234" }));
    chmodSync(join(dir, "incidents", "locked"), 0o000);
    let denied = false;
    try {
      readdirSync(join(dir, "incidents", "locked"));
    } catch {
      denied = true;
    }
    if (denied) return { dir, list: undefined, how: "chmod 000" };
    const list: ListFolder = (folder) => {
      if (folder.endsWith(join("incidents", "locked")))
        throw Object.assign(new Error(`EACCES: permission denied, scandir '${folder}'`), { code: "EACCES" });
      return readdirSync(folder, { withFileTypes: true }) as Dirent[];
    };
    return { dir, list, how: "an injected EACCES (running as root)" };
  }

  it("is an error of its own, listed with the other files' errors", () => {
    const { dir, list } = lockedFolder();
    const result = loadIncidentPaths(["incidents"], dir, NOW, list);
    expect(result.incidents).toEqual([]);
    expect(result.errors.map(formatDiagnostic)).toEqual([
      "incidents/locked:1:1 E_READ cannot read the folder: EACCES (permission denied): the incident files in it cannot be checked, and nothing is planned until they can",
      'incidents/broken.yaml:3:10 E_ACCOUNT account: found "1234", expected an AWS account id of 12 digits',
    ]);
    const io = memoryIo();
    reportDiagnostics(result.errors, io);
    expect(io.stderr.split("\n").at(-2)).toBe(
      "2 errors in 2 files: nothing is planned while any incident file is invalid",
    );
  });

  it("does not stop the walk: any folder of any depth, among readable ones", () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z0-9]{1,6}$/), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (path, lockedDepth) => {
          const dir = mkdtempSync(join(tmpdir(), "cordon-walk-"));
          try {
            const folders = path.map((_, i) => join("incidents", ...path.slice(0, i + 1)));
            for (const folder of folders) {
              mkdirSync(join(dir, folder), { recursive: true });
              const id = `2026-11-28-${folders.indexOf(folder)}`;
              writeFileSync(join(dir, folder, `${id}.yaml`), stringify(valid(id)));
            }
            const locked = folders[Math.min(lockedDepth, folders.length - 1)];
            const list: ListFolder = (folder) => {
              if (folder === join(dir, locked)) throw Object.assign(new Error("EACCES"), { code: "EACCES" });
              return readdirSync(folder, { withFileTypes: true }) as Dirent[];
            };
            const result = loadIncidentPaths(["incidents"], dir, NOW, list);
            expect(result.errors.map((e) => `${e.file} ${e.code}`)).toEqual([`${locked} E_READ`]);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe("--now with a date or time that does not exist", () => {
  it.each([
    ["2026-02-30T10:00:00Z", "February 2026 has 28 days"],
    ["2024-02-30T10:00Z", "February 2024 has 29 days"],
    ["2026-04-31T10:00:00Z", "April 2026 has 30 days"],
    ["2026-11-00T10:00:00Z", "there is no day 00"],
    ["2026-13-01T10:00:00Z", "there is no month 13"],
    ["2026-11-28T24:00:00Z", "there is no hour 24 (hours run from 00 to 23; midnight is 00:00 of the next day)"],
    ["2026-11-28T10:60Z", "there is no minute 60"],
    ["2026-11-28T10:00:60Z", "there is no second 60 (leap seconds are not accepted)"],
    ["2026-11-28T10:00:00+24:00", "there is no offset +24:00"],
  ])("%s: %s", async (value, why) => {
    const io = memoryIo();
    expect(await main(["validate", "--now", value, "examples/incidents"], io)).toBe(2);
    expect(io.stderr).toBe(
      usageOutput(
        `cordon validate: --now "${value}": no such instant: ${why}; expected a real RFC 3339 instant with offset, such as 2026-11-28T10:00:00Z`,
      ),
    );
  });

  it("is refused for any impossible day of any month, and every real instant passes", async () => {
    const empty = mkdtempSync(join(tmpdir(), "cordon-empty-"));
    writeFileSync(join(empty, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
    mkdirSync(join(empty, "incidents"));
    dirs.push(empty);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1970, max: 2100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 35 }),
        fc.integer({ min: 0, max: 26 }),
        async (year, month, day, hour) => {
          const pad = (n: number) => String(n).padStart(2, "0");
          const value = `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:30:00Z`;
          const real = day <= new Date(Date.UTC(year, month, 0)).getUTCDate() && hour <= 23;
          const io = memoryIo({ cwd: empty });
          const code = await main(["status", "--now", value, "--json"], io);
          expect(code).toBe(real ? 0 : 2);
          if (!real) expect(io.stderr).toMatch(/^cordon status: --now "[^"]+": no such instant: /);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a file's cutoff says the same", () => {
    const file = {
      path: "incidents/x.yaml",
      text: 'id: x00\ntitle: t\naccount: "123456789012"\ncutoff: 2026-11-28T24:00:00Z\nusers: [{ name: a }]\n',
    };
    expect(loadIncidents([{ ...file, path: "incidents/x00.yaml" }], { now: NOW }).errors.map(formatDiagnostic)).toEqual(
      [
        'incidents/x00.yaml:4:9 E_CUTOFF cutoff: found "2026-11-28T24:00:00Z", which is not a real instant (there is no hour 24 (hours run from 00 to 23; midnight is 00:00 of the next day)); expected an RFC 3339 instant with offset such as 2026-11-28T10:00:00Z',
      ],
    );
  });
});

describe("explicit YAML tags", () => {
  const FIELDS = ["title", "account", "cutoff", "ticket", "owner", "mode"] as const;
  const TAGS = [
    "!!binary",
    "!!timestamp",
    "!!int",
    "!!float",
    "!!bool",
    "!!null",
    "!!set",
    "!!omap",
    "!custom",
    "!<tag:example.com,2026:x>",
  ];

  it('any tag but !!str, on any field: a message of its own at the tag, not "found a mapping"', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), fc.constantFrom(...TAGS), (field, tag) => {
        const lines = [
          `id: tagged`,
          `title: t`,
          `account: "123456789012"`,
          `cutoff: 2026-11-28T10:00:00Z`,
          `users: [{ name: a }]`,
          `mode: revoke-older-sessions`,
          `ticket: SEC-1`,
          `owner: o`,
        ];
        const index = lines.findIndex((line) => line.startsWith(`${field}:`));
        const [key, value] = [field, lines[index].slice(field.length + 2)];
        lines[index] = `${key}: ${tag} ${value}`;
        const errors = loadIncidents([{ path: "incidents/tagged.yaml", text: `${lines.join("\n")}\n` }], {
          now: NOW,
        }).errors;
        expect(errors.map(formatDiagnostic)).toEqual([
          `incidents/tagged.yaml:${index + 1}:${field.length + 3} E_YAML_TAG ${field}: found the explicit tag ${tag.startsWith("!<") ? "tag:example.com,2026:x" : tag}, expected a plain value: an incident field's type comes from the schema, not from a tag (write the value without the tag; quote it to keep it text)`,
        ]);
      }),
      { numRuns: 60 },
    );
  });

  it("!!str is read as text", () => {
    const text =
      "id: tagged\ntitle: !!str t\naccount: !!str 123456789012\ncutoff: 2026-11-28T10:00:00Z\nusers: [{ name: a }]\n";
    expect(loadIncidents([{ path: "incidents/tagged.yaml", text }], { now: NOW }).errors).toEqual([]);
  });
});

describe("a name holding invisible characters", () => {
  const INVISIBLE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00a0",
    "\u202e",
    "\u202a",
    "\u2066",
    "\u2069",
    "\u200e",
    "\u00ad",
    "\u3000",
    "\u{e0041}",
  ];
  const code = (char: string) => `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  const escaped = (char: string) =>
    char.codePointAt(0)! > 0xffff
      ? `\\u{${char.codePointAt(0)!.toString(16)}}`
      : `\\u${char.codePointAt(0)!.toString(16).padStart(4, "0")}`;

  it("is refused with the characters named, and shown as escapes by validate", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("users", "roles", "replacementRoles"),
        fc.stringMatching(/^[a-z]{2,10}$/),
        fc.constantFrom(...INVISIBLE),
        fc.nat(),
        async (kind, name, char, at) => {
          const cut = at % (name.length + 1);
          const spoofed = `${name.slice(0, cut)}${char}${name.slice(cut)}`;
          const entry =
            kind === "replacementRoles"
              ? { name: spoofed, trust: { service: "ec2.amazonaws.com" } }
              : { name: spoofed };
          const incident = {
            ...valid("2026-11-28-spoof"),
            ...(kind === "users" ? { users: [entry] } : { [kind]: [entry] }),
          };
          const dir = mkdtempSync(join(tmpdir(), "cordon-invisible-"));
          try {
            writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
            mkdirSync(join(dir, "incidents"));
            writeFileSync(join(dir, "incidents", "2026-11-28-spoof.yaml"), stringify(incident));
            const io = memoryIo({ cwd: dir });
            expect(await main(["validate", "--now", NOW.toISOString()], io)).toBe(1);
            const line = io.stderr.split("\n")[0];
            expect(line).toContain(
              ` E_INVISIBLE_CHARACTER ${kind}[0].name: found "${name.slice(0, cut)}${escaped(char)}${name.slice(cut)}", which holds an invisible character (${code(char)}), expected an IAM name`,
            );
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("one key under two accounts", () => {
  it("is refused in whichever pair of files, whatever the users", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^AKIA[A-Z0-9]{16}$/),
        fc.constantFrom("alice", "bob"),
        fc.constantFrom("alice", "bob"),
        (key, first, second) => {
          const a = {
            path: "incidents/a-first.yaml",
            text: stringify(valid("a-first", "123456789012", { users: [{ name: first, accessKeys: [key] }] })),
          };
          const b = {
            path: "incidents/b-second.yaml",
            text: stringify(valid("b-second", "210987654321", { users: [{ name: second, accessKeys: [key] }] })),
          };
          const errors = loadIncidents([a, b], { now: NOW }).errors;
          expect(errors.map((e) => `${e.file} ${e.code}`)).toEqual(["incidents/b-second.yaml E_KEY_TWO_ACCOUNTS"]);
          expect(errors[0].message).toBe(
            `users[0].accessKeys[0]: key ${key} is listed under account 123456789012 in incidents/a-first.yaml, and here under account 210987654321: an access key belongs to exactly one account (the stack of the other would fail to deploy); list it under the user of its account`,
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});

/**
 * fast-check generators of valid incident files, written as users write them (YAML text), so the
 * properties exercise the loader and the plan together.
 */
import fc from "fast-check";
import { stringify } from "yaml";

export const GENERATED_NOW = new Date("2026-11-28T12:00:00Z");

const iamName = fc
  .stringMatching(/^[A-Za-z0-9+=,.@_-]{1,24}$/)
  .filter(
    (name) =>
      name.toLowerCase() !== "root" && !name.startsWith("AWSServiceRoleFor") && !name.startsWith("AWSReservedSSO_"),
  );
const accessKeyId = fc.stringMatching(/^AKIA[A-Z0-9]{16}$/);
const instant = fc
  .integer({ min: Date.parse("2026-01-01T00:00:00Z") / 1000, max: GENERATED_NOW.getTime() / 1000 })
  .map((seconds) => new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z"));
const account = fc.constantFrom("123456789012", "210987654321");

export interface RawGenerated {
  id: string;
  title: string;
  account: string;
  cutoff: string;
  mode: "revoke-older-sessions" | "deny-all";
  users: { name: string; accessKeys: string[] }[];
  roles: { name: string }[];
}

/** One incident's content, without an id yet (ids come from the position in a set). */
const incidentBody = fc
  .record({
    account,
    cutoff: fc.oneof({ weight: 3, arbitrary: instant }, { weight: 1, arbitrary: fc.constant("at-containment") }),
    mode: fc.constantFrom("revoke-older-sessions" as const, "deny-all" as const),
    users: fc.uniqueArray(fc.record({ name: iamName, accessKeys: fc.uniqueArray(accessKeyId, { maxLength: 2 }) }), {
      maxLength: 3,
      selector: (u) => u.name.toLowerCase(),
    }),
    roles: fc.uniqueArray(
      iamName.map((name) => ({ name })),
      { maxLength: 3, selector: (r) => r.name.toLowerCase() },
    ),
  })
  .filter((body) => body.users.length + body.roles.length > 0);

/**
 * A set of valid incidents: unique ids, each key under exactly one user across the set, and one
 * spelling per principal across the set (validate refuses `Deploy` beside `deploy`: E_PRINCIPAL_SPELLING).
 */
export const incidentSet = fc
  .array(incidentBody, { minLength: 1, maxLength: 5 })
  .map((bodies) => bodies.map((body, i): RawGenerated => ({ id: `generated-${i}`, title: `generated ${i}`, ...body })))
  .filter((incidents) => {
    const owners = new Map<string, string>();
    const spellings = new Map<string, string>();
    for (const incident of incidents) {
      for (const [type, name] of [
        ...incident.users.map((u) => ["user", u.name]),
        ...incident.roles.map((r) => ["role", r.name]),
      ]) {
        const key = `${incident.account}/${type}/${name.toLowerCase()}`;
        if ((spellings.get(key) ?? name) !== name) return false;
        spellings.set(key, name);
      }
      for (const user of incident.users) {
        for (const key of user.accessKeys) {
          const owner = owners.get(key);
          if (owner !== undefined && owner !== user.name.toLowerCase()) return false;
          owners.set(key, user.name.toLowerCase());
        }
      }
    }
    return true;
  });

export function toFiles(incidents: RawGenerated[]) {
  return incidents.map((incident) => ({ path: `incidents/${incident.id}.yaml`, text: stringify(incident) }));
}

/**
 * A folder a stack may read (`cordon:incidentsDir`) outside incidents/, from the project folder:
 * one to three segments of characters the reader permits (plan/project.ts, projectFolder: any but
 * the separators / and \, and NUL), blanks, quotes, glob and pathspec characters, a comma, a line
 * end and letters beyond ASCII among them; never `.`, `..` or `.git` (git refuses it), and not
 * `X:` first (the reader takes it for a Windows drive).
 */
export const oddFolder = fc
  .array(
    fc
      .string({
        unit: fc.constantFrom(..."ab-_. *?[]{}:,'\"$`!#&;=+~é中\n\t"),
        minLength: 1,
        maxLength: 6,
      })
      .filter((segment) => segment !== "." && segment !== ".." && !segment.toLowerCase().startsWith(".git")),
    { minLength: 1, maxLength: 3 },
  )
  .map((segments) => segments.join("/"))
  .filter((folder) => !/^[A-Za-z]:/.test(folder) && folder.split("/")[0] !== "incidents");

/**
 * Text a forged CloudTrail record can carry where a value goes (an account id, a user agent, a
 * name), made of what GitHub reads as something of its own: workflow commands (`::` at a line's
 * start, `##[` anywhere), mentions and references, markup, code fences, the review's own marker,
 * line breaks; mixed with any characters.
 */
export const forgedText = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "##[",
        "##[add-mask]",
        "::",
        "::error::x",
        "#",
        "@",
        "@alice",
        "`",
        "```",
        "|",
        "*",
        "<!-- cordon:review:details -->",
        "\n",
        "\r",
        " ",
        "1",
      ),
      fc.string({ unit: "binary", maxLength: 3 }),
    ),
    { minLength: 1, maxLength: 10 },
  )
  .map((pieces) => pieces.join(""));

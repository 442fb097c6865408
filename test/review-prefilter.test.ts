/**
 * The second pass's prefilter (review/logs/prefilter.ts) against the whole file: on generated log
 * files whose key ids and user names stand in every place such a name can stand (the identity that
 * decides, sessions, parameters, responses, free text, member names) and in every spelling JSON
 * allows (`\u0041KIA…`, `\/`, escaped member names), a second pass that reads only the stretches
 * holding a name keeps exactly the events a second pass over the whole file keeps, for any keys
 * and users it looks for. And the generator is shown to reach each case the prefilter must leave
 * to a whole read: with that check fooled, it would drop events (and the first property fails
 * with any one of the checks taken out of prefilter.ts).
 */
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogFileReader, type FileResult, type FileSubjects, type KeepRule } from "../review/logs/log-file.ts";
import { needlesOf, stretchesWithNeedles, type FileIndex } from "../review/logs/prefilter.ts";

const ROOT = "AKIAEXAMPLEROOT00001";
/** Enough names that a record holds few of them: a stretch without the names looked for must be common. */
const KEYS = [
  ROOT,
  ...Array.from({ length: 15 }, (_, i) => `${i % 2 === 0 ? "ASIA" : "AKIA"}EXAMPLEKEY${String(i).padStart(6, "0")}`),
];
const USERS = [
  "alice",
  "bob",
  "ops/admin",
  'q"uote',
  "émile",
  "back\\slash",
  "alice-2",
  ...Array.from({ length: 9 }, (_, i) => `user-${i}`),
];

/** A JSON text of `value`, each string and member name spelled in one of the ways JSON allows, as `spell` picks per character. */
function write(value: unknown, spell: () => number): string {
  const string = (text: string) => {
    let out = '"';
    for (const char of text) {
      const code = char.codePointAt(0) as number;
      const choice = spell();
      if (char === '"' || char === "\\") out += `\\${char}`;
      else if (code < 0x20 || choice === 0)
        out += [...char].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
      else if (char === "/" && choice === 1) out += "\\/";
      else out += char;
    }
    return `${out}"`;
  };
  if (typeof value === "string") return string(value);
  if (Array.isArray(value)) return `[${value.map((item) => write(item, spell)).join(",")}]`;
  if (typeof value === "object" && value !== null)
    return `{${Object.entries(value)
      .map(([key, item]) => `${string(key)}:${write(item, spell)}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

/**
 * How a file spells its strings: `\u` escapes one character in `rarity` (never, for Infinity), and
 * `\/` for a slash one time in two when `slashes`. From a seed: the same file every time.
 */
function speller(seed: number, rarity: number, slashes: boolean): () => number {
  let state = seed | 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const roll = (state >>> 0) % 1_000_000;
    if (rarity !== Infinity && roll % rarity === 0) return 0;
    return slashes && roll % 2 === 1 ? 1 : 2;
  };
}

const key = fc.constantFrom(...KEYS);
const user = fc.constantFrom(...USERS);
const name = fc.oneof(key, user);
/** Where else a name stands: in sessions, parameters, responses, free text, and as a member name. */
const elsewhere = fc.record(
  {
    sessionContext: fc.record({ sessionIssuer: fc.record({ userName: user, principalId: key }, { requiredKeys: [] }) }),
    requestParameters: fc.oneof(
      fc.record({ userName: user, accessKeyId: key }, { requiredKeys: [] }),
      fc.dictionary(name, fc.string({ maxLength: 3 }), { maxKeys: 2 }),
    ),
    responseElements: fc.record(
      {
        credentials: fc.record({ accessKeyId: key }),
        accessKey: fc.record({ accessKeyId: key, userName: user }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
    userAgent: fc.tuple(fc.string({ maxLength: 4 }), name).map(([text, found]) => `${text}${found} aws-cli/2`),
  },
  { requiredKeys: [] },
);
const record = fc.record({
  identity: fc.record(
    {
      type: fc.constantFrom("IAMUser", "AssumedRole", "Root", "AWSService"),
      accessKeyId: key,
      userName: fc.oneof(user, fc.constant("")),
    },
    { requiredKeys: [] },
  ),
  more: elsewhere,
  eventName: fc.constantFrom("DescribeInstances", "AssumeRole", "CreateUser", "GetSessionToken"),
});

/**
 * A log file of generated records, written with escapes, gzipped as CloudTrail delivers. `named`:
 * every IAM user event names its user (a file that holds one that does not is read whole when
 * users are looked for).
 */
const file = fc
  .record({
    records: fc.array(record, { minLength: 1, maxLength: 150 }),
    seed: fc.integer(),
    rarity: fc.constantFrom(3, 40, Infinity, Infinity),
    slashes: fc.boolean(),
    named: fc.boolean(),
    topArray: fc.boolean(),
  })
  .map(({ records, seed, rarity, slashes, named, topArray }) => {
    const events = records.map((r, i) => {
      const identity =
        named && r.identity.type === "IAMUser" && !r.identity.userName
          ? { ...r.identity, userName: USERS[i % USERS.length] }
          : r.identity;
      return {
        eventVersion: "1.08",
        userIdentity: identity,
        eventTime: "2026-11-28T02:00:00Z",
        eventName: r.eventName,
        eventID: `e${i}`,
        ...r.more,
      };
    });
    const text = write(topArray ? events : { Records: events }, speller(seed, rarity, slashes));
    return { text, bytes: gzipSync(text), records: events.length };
  });
/** What a second pass looks for: a few keys (a chain's minted keys, most often), or a few users and keys. */
const lookFor = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      keys: fc.subarray(KEYS, { minLength: 1, maxLength: 3 }),
      users: fc.constant([] as string[]),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      keys: fc.subarray(KEYS, { maxLength: 2 }),
      users: fc.subarray(USERS, { minLength: 1, maxLength: 2 }),
    }),
  },
);

async function read(bytes: Buffer, rule: KeepRule): Promise<FileResult> {
  const reader = new LogFileReader("f.json.gz", true, rule);
  await reader.whole(bytes);
  return reader.end();
}

const firstPass = (bytes: Buffer) =>
  read(bytes, { keys: [ROOT], users: [], leads: true, all: false, check: true, index: true });
const secondPass = (bytes: Buffer, keys: string[], users: string[], prefilter?: FileSubjects) =>
  read(bytes, {
    keys,
    users,
    leads: false,
    all: false,
    check: false,
    index: false,
    ...(prefilter === undefined ? {} : { prefilter }),
  });
/** What a pass kept, as it reaches the review: each event's id, place and text. */
const kept = (result: FileResult) =>
  result.kept.map((event) => ({ eventId: event.eventId, record: event.record, whole: event.whole, text: event.text }));

describe("the second pass's prefilter", () => {
  it("keeps exactly what a read of the whole file keeps, for any keys and users, however the file spells them", async () => {
    let narrowed = 0;
    await fc.assert(
      fc.asyncProperty(file, lookFor, async ({ bytes, records }, { keys, users }) => {
        const first = await firstPass(bytes);
        expect(first.problems).toEqual([]);
        const subjects = first.subjects as FileSubjects;
        const whole = await secondPass(bytes, keys, users);
        const stretched = await secondPass(bytes, keys, users, subjects);
        expect(stretched.problems).toEqual([]);
        expect(kept(stretched)).toEqual(kept(whole));
        if (stretched.records < records) narrowed++;
      }),
      { numRuns: 600 },
    );
    // Many runs read fewer records than the file holds, or the property says little about stretches.
    expect(narrowed).toBeGreaterThan(100);
  });

  it("reads the whole file when it changed since the first pass", async () => {
    const event = (i: number) => ({
      eventID: `e${i}`,
      eventName: "DescribeInstances",
      eventTime: "2026-11-28T02:00:00Z",
      userIdentity: { accessKeyId: i === 7 ? ROOT : KEYS[3] },
    });
    const events = Array.from({ length: 100 }, (_, i) => event(i));
    const before = gzipSync(JSON.stringify({ Records: events }));
    const first = await firstPass(before);
    // Unchanged: only the stretch that holds the key is read.
    const same = await secondPass(before, [ROOT], [], first.subjects as FileSubjects);
    expect(same.kept.map((kept) => kept.eventId)).toEqual(["e7"]);
    expect(same.records).toBeLessThan(10);
    // Another record since: the whole file, every record of it.
    const after = gzipSync(JSON.stringify({ Records: [event(100), ...events] }));
    const changed = await secondPass(after, [ROOT], [], first.subjects as FileSubjects);
    expect(changed.kept.map((kept) => [kept.eventId, kept.record])).toEqual([["e7", 8]]);
    expect(changed.records).toBe(101);
  });

  /**
   * The prefilter's needles with one of its checks fooled: the file said to hold no \u escape, or
   * no IAM user event without a userName, or the names looked for taken as their raw bytes.
   */
  const fooled = (
    check: "unicode" | "special names" | "nameless users",
    keys: string[],
    users: string[],
    index: FileIndex,
    namelessUser: boolean,
  ) => {
    if (check === "unicode") return needlesOf(keys, users, { ...index, unicodeEscapes: false }, namelessUser);
    if (check === "nameless users") return needlesOf(keys, users, index, false);
    const plain = needlesOf(keys, [], index, users.length > 0 && namelessUser);
    return plain === null ? null : [...plain, ...users.map((one) => Buffer.from(one))];
  };

  it.each(["unicode", "special names", "nameless users"] as const)(
    "negative control: with its %s check fooled, it would drop events the whole file keeps",
    async (check) => {
      const drops = await fc.check(
        fc.asyncProperty(file, lookFor, async ({ bytes, text }, { keys, users }) => {
          const first = await firstPass(bytes);
          const subjects = first.subjects as FileSubjects;
          const index = subjects.index as FileIndex;
          const needles = fooled(check, keys, users, index, subjects.namelessUser);
          if (needles === null) return true;
          // The records the stretches hold, against those the whole file keeps.
          const stretches = stretchesWithNeedles(Buffer.from(text), needles, index);
          const whole = await secondPass(bytes, keys, users);
          const read = (record: number) =>
            stretches.some((stretch) => {
              const end =
                stretch.end === Buffer.byteLength(text) ? Infinity : index.records[index.offsets.indexOf(stretch.end)];
              return record >= stretch.index && record < end;
            });
          return whole.kept.every((event) => read(event.record));
        }),
        // The first drop ends the search; a few per cent of runs can show one.
        { numRuns: 5000 },
      );
      expect(drops.failed).toBe(true);
    },
  );
});

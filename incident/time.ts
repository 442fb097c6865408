/** Instants in cordon's one format: UTC, second precision unless the input had more. */
import { INSTANT } from "./fields.ts";

/** Parses an RFC 3339 instant with offset; undefined when it is not one or names no real date. */
export function parseInstant(text: string): Date | undefined {
  if (!INSTANT.test(text) || impossibleInstant(text) !== undefined) return undefined;
  const ms = Date.parse(text.replace(" ", "T").replace(/z$/, "Z").replace(/t/, "T"));
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/**
 * Why text of an instant's shape (INSTANT) names no real instant, such as "February 2026 has 28
 * days"; undefined when it names one. Date.parse would roll 2026-02-30 over to March 2 and hour
 * 24 over to the next day: a cutoff, or `--now`, must name the instant the user meant.
 */
export function impossibleInstant(text: string): string | undefined {
  const match = INSTANT.exec(text);
  if (!match) return undefined;
  // The pattern fixes where each part stands: 2026-11-28T10:00:00, then a fraction and the offset.
  const [year, month, day, hour, minute, second] = [
    [0, 4],
    [5, 7],
    [8, 10],
    [11, 13],
    [14, 16],
    [17, 19],
  ].map(([from, to]) => text.slice(from, to));
  const offset = match[2];
  if (+month < 1 || +month > 12) return `there is no month ${month}`;
  const days = new Date(Date.UTC(+year, +month, 0)).getUTCDate();
  if (+day < 1 || +day > days)
    return +day < 1 ? `there is no day ${day}` : `${MONTHS[+month - 1]} ${year} has ${days} days`;
  if (+hour > 23) return `there is no hour ${hour} (hours run from 00 to 23; midnight is 00:00 of the next day)`;
  if (+minute > 59) return `there is no minute ${minute}`;
  if (+second > 59) return `there is no second ${second} (leap seconds are not accepted)`;
  if (offset.length > 1 && (+offset.slice(1, 3) > 23 || +offset.slice(4) > 59)) return `there is no offset ${offset}`;
  return undefined;
}

/** `2026-11-28T10:00:00Z`: what IAM date conditions and stack outputs carry. */
export function formatInstant(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, "Z");
}

export const HOUR_MS = 3_600_000;

/** "18 h 5 min", for people reading `status` and `guard`. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.ceil(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

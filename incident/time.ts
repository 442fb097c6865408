/** Instants in cordon's one format: UTC, second precision unless the input had more. */
import { INSTANT } from "./fields.ts";

/** Parses an RFC 3339 instant with offset; undefined when it is not one or names no real date. */
export function parseInstant(text: string): Date | undefined {
  const match = INSTANT.exec(text);
  if (!match) return undefined;
  // The pattern fixes where each part stands: 2026-11-28T10:00:00, then a fraction and the offset.
  const [year, month, day, hour, minute, second] = [[0, 4], [5, 7], [8, 10], [11, 13], [14, 16], [17, 19]].map(([from, to]) => text.slice(from, to));
  const offset = match[2];
  const ms = Date.parse(text.replace(" ", "T").replace(/z$/, "Z").replace(/t/, "T"));
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2026-02-30 over to March; a cutoff must name the day the user meant.
  const local = new Date(Date.UTC(+year, +month - 1, +day, +hour, +minute, +second));
  if (local.getUTCMonth() !== +month - 1 || local.getUTCDate() !== +day || +hour > 23 || +minute > 59 || +second > 59) return undefined;
  if (offset.length > 1 && (+offset.slice(1, 3) > 23 || +offset.slice(4) > 59)) return undefined;
  return new Date(ms);
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

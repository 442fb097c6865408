/**
 * The one order of text in cordon: code-point order, the same on every machine whatever its
 * locale, so that the same files give byte-identical plans, reports and messages.
 */

/** Code-point order (`localeCompare` would depend on the machine's locale). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts by a string key, in code-point order. */
export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareText(key(a), key(b));
}

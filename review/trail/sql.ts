/**
 * SQL text made from names and values that came from a user or a log: the one home of quoting.
 * A name is checked, then quoted; a value is a string literal with its quotes doubled. Nothing
 * else from outside ever reaches a query.
 */

/** A table, database or workgroup name as cordon accepts it: Athena folds names to lowercase letters, digits and `_`. */
export const SQL_NAME = /^[A-Za-z0-9_]{1,128}$/;

/** A name checked and quoted; throws on anything else (callers validate flags first). */
export function sqlName(name: string): string {
  if (!SQL_NAME.test(name))
    throw new Error(`"${name}" is not a table or database name; expected letters, digits and _`);
  return `"${name.toLowerCase()}"`;
}

/** A string literal: `'` doubled, the only escape in Trino's (and DuckDB's) string literals. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

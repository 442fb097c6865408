/**
 * Property values as they cross the wire between the SDK and the engine: a protobuf Struct whose
 * JSON carries Pulumi's special values (plugin/rpc.go in pulumi/pulumi, runtime/rpc.js in the
 * Node.js SDK). The stand-in keeps plain JSON, with one marker for a value not known yet.
 */

/** The unknown value: a computed output during a preview, or an output of a resource that failed. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const OUTPUT_VALUE = "d0e6a833031e9bbcd3f4e8bde6ca49a4";

export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };
export type Properties = Record<string, Value>;

/**
 * The plain value of what the SDK sent: secrets unwrapped (the stand-in keeps no secret apart: see
 * docs/program.md), output values replaced by their value or by UNKNOWN; resource references,
 * assets and archives kept as they came.
 */
export function decode(value: unknown): Value {
  if (Array.isArray(value)) return value.map(decode);
  if (value === null || typeof value !== "object") return value as Value;
  const record = value as Record<string, unknown>;
  if (record[SIG] === SECRET) return decode(record.value);
  if (record[SIG] === OUTPUT_VALUE) return "value" in record ? decode(record.value) : UNKNOWN;
  return Object.fromEntries(Object.entries(record).map(([key, v]) => [key, decode(v)]));
}

export function decodeProperties(value: unknown): Properties {
  const decoded = decode(value ?? {});
  return decoded !== null && typeof decoded === "object" && !Array.isArray(decoded) ? decoded : {};
}

/** True when the value is or holds UNKNOWN anywhere. */
export function containsUnknown(value: Value): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** Deep equality of two JSON values, key order ignored. */
export function sameValue(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null || typeof a !== "object" || typeof b !== "object")
    return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as Value[]).length && a.every((v, i) => sameValue(v, (b as Value[])[i]));
  const ka = Object.keys(a).filter((k) => (a as Properties)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Properties)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameValue((a as Properties)[k], (b as Properties)[k]));
}

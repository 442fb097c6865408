/**
 * Throw-away checkouts for `cordon new`: the project file (new finds the project from it) and the
 * schema beside incidents/ (the file's `$schema` line points at it), nothing else.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

export function newCheckout(prefix = "cordon-new-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  writeFileSync(join(dir, "Pulumi.yaml"), "name: cordon\nruntime: nodejs\n");
  mkdirSync(join(dir, "schema"));
  writeFileSync(join(dir, "schema", "incident.schema.json"), "{}");
  return dir;
}

/** Removes every checkout made so far (call it in afterAll). */
export function removeCheckouts(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

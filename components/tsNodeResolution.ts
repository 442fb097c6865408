/**
 * Lets the Pulumi CLI load cordon's TypeScript.
 *
 * cordon's modules import each other as `./plan.js` (what `module: nodenext` asks for, and what
 * tsx, vitest and tsc resolve to `plan.ts`). The Pulumi CLI runs `index.ts` through the ts-node 7
 * vendored in `@pulumi/pulumi`, which registers a `require` hook for `.ts` files but leaves
 * resolution to Node: `require("./plan.js")` then fails because only `plan.ts` exists. This module
 * adds the missing step, and only that: when a relative `.js` specifier does not resolve, the
 * `.ts` file beside it is tried. `index.ts` imports it first, so it is in place before any other
 * local module is required.
 *
 * It installs itself only when something compiles `.ts` through `require` (ts-node); under ESM
 * loaders (vitest, tsx) nothing is changed.
 * @see node_modules/@pulumi/pulumi/cmd/run/run.js (how the CLI registers ts-node)
 */
import Module from "node:module";

interface ResolvingModule {
  _extensions: Record<string, unknown>;
  _resolveFilename(this: unknown, request: string, parent: unknown, ...rest: unknown[]): string;
}

const cjs = Module as unknown as ResolvingModule;
const INSTALLED = Symbol.for("cordon.tsNodeResolution");

if (cjs._extensions[".ts"] !== undefined && !(INSTALLED in cjs)) {
  const resolveFilename = cjs._resolveFilename;
  cjs._resolveFilename = function (request, parent, ...rest) {
    try {
      return resolveFilename.call(this, request, parent, ...rest);
    } catch (error) {
      const relativeJs = /^\.\.?\//.test(request) && request.endsWith(".js");
      if (!relativeJs || (error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error;
      return resolveFilename.call(this, `${request.slice(0, -3)}.ts`, parent, ...rest);
    }
  };
  Object.defineProperty(cjs, INSTALLED, { value: true });
}

// The entry point Pulumi's policy-pack runner loads (package.json's main). The runner registers
// ts-node for .ts files loaded with require(); cordon's TypeScript is stripped by Node.js itself
// instead, which happens for what import() loads, so the pack is imported, not required. The
// runner awaits the promise this module exports.
module.exports = import("./index.ts");

/**
 * The whole of what a usage error prints, given its first part (`cordon COMMAND: what was wrong`):
 * one line, ending with where the command's options are.
 */
export function usageOutput(line: string): string {
  const command = /^cordon ([a-z-]+): /.exec(line)?.[1];
  if (command === undefined) throw new Error(`not a usage line: ${line}`);
  return `${line}; run \`npx cordon ${command} --help\` for its options\n`;
}

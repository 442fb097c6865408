/**
 * Usage errors (issue 21, item 7): one line saying what was wrong, a "did you mean" for a misspelt
 * command or flag, and where the options are; never the whole help around it, never a secret.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { memoryIo } from "../cli/io.ts";
import { COMMAND_NAMES, main } from "../cli/main.ts";
import { usageOutput } from "./support/usage.ts";

async function run(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** The flags a command's own --help names and it accepts (its help also names other commands' flags). */
async function helpFlags(command: string): Promise<string[]> {
  const { stdout } = await run(command, "--help");
  const named = [...new Set([...stdout.matchAll(/--([a-z][a-z-]*[a-z])/g)].map((match) => match[1]))];
  const accepted: string[] = [];
  for (const flag of named) {
    // Node's parser stops at the first unknown option, so the command never runs.
    if (!(await run(command, `--${flag}`, "--zq-unknown")).stderr.includes(`unknown option --${flag}`))
      accepted.push(flag);
  }
  return accepted;
}

describe("a misspelt command", () => {
  it("is one line with the command meant and where the commands are", async () => {
    expect(await run("valdate", "examples/incidents")).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'cordon: unknown command "valdate" (did you mean "validate"?); run `npx cordon --help` for the commands\n',
    });
  });

  it("suggests nothing when nothing is close", async () => {
    expect((await run("deploy-everything")).stderr).toBe(
      'cordon: unknown command "deploy-everything"; run `npx cordon --help` for the commands\n',
    );
  });

  it("never echoes a pasted secret", async () => {
    const { code, stderr } = await run("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect(code).toBe(2);
    expect(stderr).not.toContain("wJalrXUtnFEMI");
    expect(stderr.split("\n")).toHaveLength(2);
  });
});

describe("a misspelt flag", () => {
  it.each([
    ["plan", "--stack-output", "--stack-outputs"],
    ["review", "--region", "--regions"],
    ["validate", "--nwo", "--now"],
    ["guard", "--bse", "--base"],
    ["new", "--titel", "--title"],
    ["doctor", "--hlep", "--help"],
  ])("cordon %s %s suggests %s", async (command, typed, meant) => {
    expect(await run(command, typed)).toEqual({
      code: 2,
      stdout: "",
      stderr: usageOutput(`cordon ${command}: unknown option ${typed} (did you mean ${meant}?)`),
    });
  });

  it("of every command, with one letter dropped, suggests a flag that command's --help names", async () => {
    const flags = new Map<string, string[]>();
    for (const command of COMMAND_NAMES) flags.set(command, await helpFlags(command));
    const cases = fc
      .constantFrom(...COMMAND_NAMES.filter((command) => (flags.get(command) ?? []).some((flag) => flag.length > 3)))
      .chain((command) =>
        fc.record({
          command: fc.constant(command),
          flag: fc.constantFrom(...(flags.get(command) ?? []).filter((flag) => flag.length > 3)),
          at: fc.nat(),
        }),
      );
    await fc.assert(
      fc.asyncProperty(cases, async ({ command, flag, at }) => {
        const position = 1 + (at % (flag.length - 2));
        const typed = `--${flag.slice(0, position)}${flag.slice(position + 1)}`;
        fc.pre(!(flags.get(command) ?? []).includes(typed.slice(2)));
        const { code, stderr } = await run(command, typed);
        expect(code).toBe(2);
        const meant = /\(did you mean --([a-z-]+)\?\)/.exec(stderr)?.[1];
        expect(meant, stderr).toBeDefined();
        expect(flags.get(command)).toContain(meant);
        expect(stderr).toBe(usageOutput(`cordon ${command}: unknown option ${typed} (did you mean --${meant}?)`));
      }),
      { numRuns: 60 },
    );
  });

  it("whatever is typed, is one line ending with where the options are, with no control character", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...COMMAND_NAMES),
        fc.string({ minLength: 1, maxLength: 40 }),
        async (command, text) => {
          const typed = `--zq${text}`;
          const { code, stdout, stderr } = await run(command, typed);
          expect(code).toBe(2);
          expect(stdout).toBe("");
          expect(stderr.endsWith(`; run \`npx cordon ${command} --help\` for its options\n`), stderr).toBe(true);
          expect(stderr.slice(0, -1)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        },
      ),
      { numRuns: 80 },
    );
  });

  it("a flag that needs a value, and one that takes none, say so", async () => {
    expect((await run("plan", "examples/incidents", "--now")).stderr).toBe(
      usageOutput("cordon plan: option --now needs a value"),
    );
    expect((await run("plan", "--json=yes", "examples/incidents")).stderr).toBe(
      usageOutput("cordon plan: option --json takes no value"),
    );
  });

  it("never echoes a secret pasted as a flag", async () => {
    const { code, stderr } = await run("assess", "--wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect(code).toBe(2);
    expect(stderr).not.toContain("wJalrXUtnFEMI");
  });
});

describe("every command's --help", () => {
  /** The lines of the options list: from `options:` to the first blank line. */
  const optionsOf = (help: string) => {
    const lines = help.split("\n");
    const start = lines.indexOf("options:");
    const end = lines.indexOf("", start);
    return { block: lines.slice(start + 1, end), after: lines.slice(end) };
  };

  it.each(COMMAND_NAMES)("%s lists its options in one block, with no paragraph among them", async (command) => {
    const { code, stdout } = await run(command, "--help");
    expect(code).toBe(0);
    const { block, after } = optionsOf(stdout);
    expect(block.length).toBeGreaterThan(0);
    // Each line names an option, or continues the one above it, indented under its description.
    expect(block.filter((line) => !/^ {2}-/.test(line) && !/^ {3,}\S/.test(line))).toEqual([]);
    // No option after the list has ended: a paragraph in the middle would split it in two.
    expect(after.filter((line) => /^ {2}-/.test(line))).toEqual([]);
  });
});

/**
 * How the tests find moto_server: MOTO_SERVER, then the PATH, then the cache, then an install
 * into the cache. Real files in temporary folders; the install runs a stand-in python3 that
 * behaves as `python3 -m venv` and pip do (nothing is downloaded).
 */
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  installAdvice,
  installMoto,
  locateMoto,
  motoCacheDir,
  MOTO_VERSION,
  type LocateOptions,
} from "../emulators/moto.ts";

function executable(path: string, body = "#!/bin/sh\nexit 0\n"): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
  chmodSync(path, 0o755);
  return path;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function setup() {
  const root = mkdtempSync(join(tmpdir(), "cordon-moto-"));
  const home = join(root, "home");
  const bin = join(root, "bin");
  mkdirSync(bin, { recursive: true });
  return {
    root,
    home,
    bin,
    options: (env: Record<string, string | undefined>): LocateOptions => ({ env, home, isExecutable }),
  };
}

describe("locateMoto", () => {
  it("takes MOTO_SERVER first, even when the PATH and the cache have one", () => {
    const { root, home, bin, options } = setup();
    const given = executable(join(root, "elsewhere", "moto_server"));
    executable(join(bin, "moto_server"));
    executable(join(motoCacheDir({ env: {}, home }), "bin", "moto_server"));
    expect(locateMoto(options({ MOTO_SERVER: given, PATH: bin }))).toEqual({ command: given, source: "MOTO_SERVER" });
  });

  it("refuses a MOTO_SERVER that is not an executable file, rather than looking elsewhere", () => {
    const { root, bin, options } = setup();
    executable(join(bin, "moto_server"));
    expect(locateMoto(options({ MOTO_SERVER: join(root, "missing"), PATH: bin }))).toEqual({
      error: `MOTO_SERVER=${join(root, "missing")} is not an executable file`,
    });
  });

  it("then the first PATH entry that has moto_server", () => {
    const { root, home, bin, options } = setup();
    const empty = join(root, "empty");
    mkdirSync(empty);
    executable(join(motoCacheDir({ env: {}, home }), "bin", "moto_server"));
    executable(join(bin, "moto_server"));
    expect(locateMoto(options({ PATH: [empty, bin].join(":") }))).toEqual({
      command: join(bin, "moto_server"),
      source: "PATH",
    });
  });

  it("then the cache: XDG_CACHE_HOME, or ~/.cache, in a folder named by moto's version", () => {
    const { root, home, bin, options } = setup();
    const xdg = join(root, "xdg");
    expect(motoCacheDir({ env: {}, home })).toBe(join(home, ".cache", "cordon", `moto-${MOTO_VERSION}`));
    expect(motoCacheDir({ env: { XDG_CACHE_HOME: xdg }, home })).toBe(join(xdg, "cordon", `moto-${MOTO_VERSION}`));
    expect(locateMoto(options({ PATH: bin }))).toBeUndefined();
    const cached = executable(join(motoCacheDir({ env: {}, home }), "bin", "moto_server"));
    expect(locateMoto(options({ PATH: bin }))).toEqual({ command: cached, source: "cache" });
    expect(locateMoto(options({ PATH: bin, XDG_CACHE_HOME: xdg }))).toBeUndefined();
  });

  it("a file named moto_server that is not executable does not count", () => {
    const { bin, options } = setup();
    writeFileSync(join(bin, "moto_server"), "not a program");
    chmodSync(join(bin, "moto_server"), 0o644);
    expect(locateMoto(options({ PATH: bin }))).toBeUndefined();
  });
});

describe("installMoto", () => {
  // A stand-in for python3: `-m venv DIR` makes DIR/bin/pip, and that pip "installs" moto_server
  // when asked for the pinned version, or fails as pip does when the index cannot be reached.
  function fakePython(bin: string, pip: "works" | "fails"): void {
    const pipBody =
      pip === "works"
        ? `#!/bin/sh\nfor a in "$@"; do [ "$a" = "moto[server]==${MOTO_VERSION}" ] && found=1; done\n[ -n "$found" ] || exit 3\nprintf '#!/bin/sh\\nexit 0\\n' > "$(dirname "$0")/moto_server"; chmod +x "$(dirname "$0")/moto_server"\n`
        : `#!/bin/sh\necho "ERROR: Could not find a version that satisfies the requirement moto[server]==${MOTO_VERSION}" >&2\nexit 1\n`;
    executable(
      join(bin, "python3"),
      `#!/bin/sh\n[ "$1" = "-m" ] && [ "$2" = "venv" ] || exit 9\nmkdir -p "$3/bin"\ncat > "$3/bin/pip" <<'PIP'\n${pipBody}PIP\nchmod +x "$3/bin/pip"\n`,
    );
  }

  it("makes a virtual environment in the cache and installs the pinned moto there", () => {
    const { home, bin } = setup();
    fakePython(bin, "works");
    const lines: string[] = [];
    const installed = installMoto({ env: { PATH: `${bin}:/bin:/usr/bin` }, home }, (line) => lines.push(line));
    expect(installed).toEqual({
      command: join(motoCacheDir({ env: {}, home }), "bin", "moto_server"),
      source: "install",
    });
    expect(isExecutable(installed.command)).toBe(true);
    expect(lines).toEqual([
      `moto_server not found: installing moto[server]==${MOTO_VERSION} into ${motoCacheDir({ env: {}, home })} (once)`,
    ]);
    // The next run finds it in the cache and installs nothing.
    expect(locateMoto({ env: { PATH: "/nonexistent" }, home, isExecutable })).toEqual({
      command: installed.command,
      source: "cache",
    });
  });

  it("without python3, says in one line what to install, and fails", () => {
    const { home, bin } = setup();
    expect(() => installMoto({ env: { PATH: bin }, home }, () => {})).toThrow(
      installAdvice("python3 is not on the PATH"),
    );
    expect(installAdvice("python3 is not on the PATH")).not.toContain("\n");
  });

  it("when pip fails, says why in one line, and leaves no half-made environment behind", () => {
    const { home, bin } = setup();
    fakePython(bin, "fails");
    expect(() => installMoto({ env: { PATH: `${bin}:/bin:/usr/bin` }, home }, () => {})).toThrow(
      installAdvice(
        `pip could not install moto[server]==${MOTO_VERSION} (ERROR: Could not find a version that satisfies the requirement moto[server]==${MOTO_VERSION})`,
      ),
    );
    expect(existsSync(motoCacheDir({ env: {}, home }))).toBe(false);
  });
});

// A tiny Dockerfile interpreter for machines without a container engine: it runs a recipe's own commands, each stage
// in a temporary directory that stands in for the stage's root filesystem. It knows only the instructions this
// repository's Dockerfile uses and refuses anything else, so a new instruction cannot pass unrehearsed.
//
// Differences from a real build, on purpose and visible in `notes`:
// - The commands run on this machine's Node, npm and sh, not the base image's (the test checks the major versions).
// - USER cannot switch users, and `chown` to the image's users is checked (the path must exist) but not done.
// - RUN --mount=type=cache: this machine's npm cache plays the cache mount.
// - Absolute paths in WORKDIR and COPY map into the stage's directory; RUN commands must use relative paths.
import { spawn } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, join, resolve, sep } from "node:path";

export interface Instruction {
  keyword: string;
  /** The arguments, continuation lines joined. */
  args: string;
  line: number;
}

export interface Healthcheck {
  options: Record<string, string>;
  /** argv (exec form) or ["sh", "-c", command] (shell form). */
  command: string[];
}

export interface Stage {
  name: string;
  base: string;
  /** Stands in for the stage's `/`. */
  root: string;
  /** Absolute, as the Dockerfile says (e.g. /app). */
  workdir: string;
  env: Record<string, string>;
  user: string | null;
  expose: number[];
  healthcheck: Healthcheck | null;
  cmd: string[] | null;
}

/** Instructions in order; comments and parser directives dropped, `\` continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.trim();
    if (first === "" || first.startsWith("#")) continue;
    const start = i + 1;
    let joined = first;
    while (joined.endsWith("\\")) {
      joined = joined.slice(0, -1);
      i++;
      if (i >= lines.length) throw new Error(`Dockerfile line ${start}: continuation at end of file`);
      const next = lines[i]!.trim();
      if (next.startsWith("#")) joined += "\\";
      else joined += ` ${next}`;
    }
    const match = /^(\S+)\s*(.*)$/.exec(joined.trim())!;
    instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: start });
  }
  return instructions;
}

/** Splits leading `--name=value` flags off an instruction's arguments. */
function flags(args: string): { flags: Record<string, string>; rest: string } {
  const found: Record<string, string> = {};
  let rest = args;
  for (;;) {
    const match = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest);
    if (!match) return { flags: found, rest };
    found[match[1]!] = match[2] ?? "";
    rest = rest.slice(match[0].length);
  }
}

/** Exec form (a JSON array) or shell form (run by `sh -c`). */
function commandOf(args: string): { exec: boolean; argv: string[] } {
  if (args.startsWith("[")) {
    const argv = JSON.parse(args) as unknown;
    if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string")) {
      throw new Error(`not a JSON array of strings: ${args}`);
    }
    return { exec: true, argv };
  }
  return { exec: false, argv: ["sh", "-c", args] };
}

/** `K=V K2="v 2"` (or the legacy `K V`). */
function envPairs(args: string): [string, string][] {
  if (!args.includes("=")) {
    const match = /^(\S+)\s+(.*)$/.exec(args);
    if (!match) throw new Error(`ENV ${args}: expected KEY=value`);
    return [[match[1]!, match[2]!]];
  }
  const pairs: [string, string][] = [];
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)\s*/y;
  let index = 0;
  while (index < args.length) {
    pattern.lastIndex = index;
    const match = pattern.exec(args);
    if (!match) throw new Error(`ENV ${args}: cannot parse at ${JSON.stringify(args.slice(index))}`);
    const raw = match[2]!;
    pairs.push([match[1]!, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw]);
    index = pattern.lastIndex;
  }
  return pairs;
}

// ------------------------------------------------------------------------------------------------ .dockerignore

/** A .dockerignore pattern as a RegExp over slash-separated relative paths (`**`, `*`, `?`). */
function patternRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      // `**/` matches zero or more directories; a trailing `**` anything.
      if (pattern[i + 2] === "/") {
        source += "(?:.*/)?";
        i += 2;
      } else {
        source += ".*";
        i += 1;
      }
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

export interface IgnoreRules {
  ignored(path: string): boolean;
  /** Could a `!` rule re-include something under this (ignored) directory? */
  mayReinclude(dir: string): boolean;
}

/** Docker's rules: the last matching pattern wins, and a pattern matching a directory matches all beneath it. */
export function dockerignore(text: string): IgnoreRules {
  const rules = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negate = line.startsWith("!");
      const pattern = (negate ? line.slice(1) : line).trim().replace(/^\/+/, "").replace(/\/+$/, "");
      return { negate, pattern, regexp: patternRegExp(pattern) };
    });
  const matches = (regexp: RegExp, path: string): boolean => {
    const parts = path.split("/");
    for (let n = 1; n <= parts.length; n++) if (regexp.test(parts.slice(0, n).join("/"))) return true;
    return false;
  };
  return {
    ignored(path) {
      let ignored = false;
      for (const rule of rules) if (matches(rule.regexp, path)) ignored = !rule.negate;
      return ignored;
    },
    mayReinclude(dir) {
      return rules.some(
        (rule) => rule.negate && (rule.pattern.startsWith(`${dir}/`) || rule.pattern.startsWith("**")),
      );
    },
  };
}

/** Copies `source` into `target`, leaving out what `.dockerignore` leaves out of a build context. */
export function buildContext(source: string, target: string): string[] {
  const ignorePath = join(source, ".dockerignore");
  const rules = dockerignore(existsSync(ignorePath) ? readFileSync(ignorePath, "utf8") : "");
  const copied: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(source, dir), { withFileTypes: true })) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      const isDir = entry.isDirectory();
      if (rules.ignored(path)) {
        if (isDir && rules.mayReinclude(path)) walk(path);
        continue;
      }
      if (isDir) walk(path);
      else if (entry.isFile()) {
        mkdirSync(join(target, dir), { recursive: true });
        cpSync(join(source, path), join(target, path));
        copied.push(path);
      }
    }
  };
  mkdirSync(target, { recursive: true });
  walk("");
  return copied;
}

// ------------------------------------------------------------------------------------------------- the build

export interface BuildOptions {
  /** The Dockerfile's text. */
  dockerfile: string;
  /** The build context (already filtered by .dockerignore). */
  context: string;
  /** Where each stage gets its directory. */
  workspace: string;
  /** The environment every command starts from (PATH, HOME, proxies); the stage's ENV goes on top. */
  baseEnv: Record<string, string>;
  /** Each RUN's output, as it comes. */
  onOutput?: (chunk: string) => void;
}

export interface Build {
  stages: Stage[];
  /** Every step, e.g. "runtime: RUN npm ci --omit=dev (12.3 s)". */
  steps: string[];
  /** What the rehearsal could not do as a container engine would. */
  notes: string[];
}

/** The directory standing in for the absolute path `path` of `stage`. */
export function inStage(stage: Stage, path: string): string {
  const absolute = path.startsWith("/") ? path : `${stage.workdir}/${path}`;
  const mapped = resolve(stage.root, `.${resolve("/", absolute)}`);
  if (mapped !== stage.root && !mapped.startsWith(stage.root + sep))
    throw new Error(`${path} leaves the stage`);
  return mapped;
}

function copy(from: string, to: string, intoDirectory: boolean): void {
  if (!existsSync(from)) throw new Error(`COPY: ${from} does not exist`);
  if (statSync(from).isDirectory()) {
    // Docker copies a directory's contents, not the directory itself.
    mkdirSync(to, { recursive: true });
    cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  } else {
    const target = intoDirectory ? join(to, basename(from)) : to;
    mkdirSync(intoDirectory ? to : resolve(to, ".."), { recursive: true });
    cpSync(from, target);
  }
}

/** Runs a command; resolves with its exit code, rejects if it cannot start. */
export function run(
  argv: string[],
  options: { cwd: string; env: Record<string, string>; onOutput?: (chunk: string) => void },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const take = (chunk: Buffer): void => {
      const text = chunk.toString();
      output += text;
      options.onOutput?.(text);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.once("error", reject);
    child.once("close", (code) => resolvePromise({ code, output }));
  });
}

/** A `chown` that checks its paths exist: this machine has not the image's users (and may not be root). */
function chownShim(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const script = join(dir, "chown");
  writeFileSync(
    script,
    [
      "#!/bin/sh",
      "# Rehearsal stand-in for chown: the owner is not changed, but every path must exist.",
      'owner=""',
      'for arg in "$@"; do',
      '  case "$arg" in -*) continue ;; esac',
      '  if [ -z "$owner" ]; then owner="$arg"; continue; fi',
      '  [ -e "$arg" ] || { echo "chown: cannot access \'$arg\': No such file or directory" >&2; exit 1; }',
      "done",
      "",
    ].join("\n"),
  );
  chmodSync(script, 0o755);
  return dir;
}

/** Interprets the Dockerfile: every stage's instructions in order, each RUN to completion. */
export async function build(options: BuildOptions): Promise<Build> {
  const stages: Stage[] = [];
  const steps: string[] = [];
  const notes: string[] = [];
  const shims = chownShim(join(options.workspace, ".shims"));
  let stage: Stage | null = null;
  const current = (instruction: Instruction): Stage => {
    if (!stage) throw new Error(`Dockerfile line ${instruction.line}: ${instruction.keyword} before FROM`);
    return stage;
  };

  for (const instruction of parseDockerfile(options.dockerfile)) {
    const { keyword, args, line } = instruction;
    const where = `Dockerfile line ${line} (${keyword} ${args.slice(0, 60)})`;
    const started = performance.now();
    switch (keyword) {
      case "FROM": {
        const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
        if (!match) throw new Error(`${where}: expected FROM image [AS name]`);
        const name = match[2] ?? String(stages.length);
        const root = join(options.workspace, `stage-${name}`);
        mkdirSync(root, { recursive: true });
        stage = {
          name,
          base: match[1]!,
          root,
          workdir: "/",
          env: {},
          user: null,
          expose: [],
          healthcheck: null,
          cmd: null,
        };
        stages.push(stage);
        break;
      }
      case "WORKDIR": {
        const s = current(instruction);
        s.workdir = resolve(s.workdir, args);
        mkdirSync(inStage(s, s.workdir), { recursive: true });
        break;
      }
      case "ENV": {
        const s = current(instruction);
        for (const [key, value] of envPairs(args)) s.env[key] = value;
        break;
      }
      case "COPY": {
        const s = current(instruction);
        const { flags: f, rest } = flags(args);
        for (const name of Object.keys(f)) {
          if (name === "chown" || name === "chmod") notes.push(`${where}: --${name} not applied`);
          else if (name !== "from" && name !== "link")
            throw new Error(`${where}: COPY --${name} is not interpreted`);
        }
        const parts = rest.startsWith("[") ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
        if (parts.length < 2) throw new Error(`${where}: COPY needs a source and a destination`);
        const destination = parts.pop()!;
        if (parts.some((p) => /[*?[]/.test(p))) throw new Error(`${where}: wildcards are not interpreted`);
        let sourceRoot: (path: string) => string;
        if (f.from !== undefined) {
          const from = stages.find((candidate) => candidate.name === f.from);
          if (!from || from === s) throw new Error(`${where}: no earlier stage named ${f.from}`);
          sourceRoot = (path) => inStage(from, path);
        } else {
          sourceRoot = (path) => {
            const mapped = resolve(options.context, path);
            if (!mapped.startsWith(options.context + sep) && mapped !== options.context)
              throw new Error(`${where}: ${path} is outside the build context`);
            return mapped;
          };
        }
        const to = inStage(s, destination);
        const intoDirectory = destination.endsWith("/") || parts.length > 1;
        for (const source of parts) {
          const from = sourceRoot(source);
          if (!existsSync(from)) {
            throw new Error(
              `${where}: ${source} not found ${f.from ? `in stage ${f.from}` : "in the build context (see .dockerignore)"}`,
            );
          }
          copy(from, to, intoDirectory);
        }
        break;
      }
      case "RUN": {
        const s = current(instruction);
        const { flags: f, rest } = flags(args);
        for (const [name, value] of Object.entries(f)) {
          if (name === "mount" && value.split(",").includes("type=cache"))
            notes.push(`${where}: the cache mount is this machine's own cache`);
          else throw new Error(`${where}: RUN --${name}=${value} is not interpreted`);
        }
        const { argv } = commandOf(rest);
        const env = { ...options.baseEnv, ...s.env, PATH: `${shims}:${options.baseEnv.PATH ?? ""}` };
        const result = await run(argv, { cwd: inStage(s, s.workdir), env, onOutput: options.onOutput });
        if (result.code !== 0) {
          throw new Error(`${where}: exit code ${result.code}\n${result.output.slice(-4000)}`);
        }
        break;
      }
      case "USER": {
        current(instruction).user = args;
        notes.push(
          `${where}: cannot switch to user ${args}; the commands run as ${process.env.USER ?? "this user"}`,
        );
        break;
      }
      case "EXPOSE": {
        current(instruction).expose.push(...args.split(/\s+/).map((port) => Number.parseInt(port, 10)));
        break;
      }
      case "HEALTHCHECK": {
        const s = current(instruction);
        if (args === "NONE") {
          s.healthcheck = null;
          break;
        }
        const { flags: f, rest } = flags(args);
        const match = /^CMD\s+(.*)$/.exec(rest);
        if (!match) throw new Error(`${where}: expected HEALTHCHECK [options] CMD ...`);
        s.healthcheck = { options: f, command: commandOf(match[1]!).argv };
        break;
      }
      case "CMD": {
        const s = current(instruction);
        const { exec, argv } = commandOf(args);
        if (!exec) notes.push(`${where}: shell-form CMD: sh, not node, would be PID 1 and get SIGTERM`);
        s.cmd = argv;
        break;
      }
      default:
        throw new Error(`${where}: ${keyword} is not interpreted by test/production/dockerfile.ts`);
    }
    const ms = performance.now() - started;
    steps.push(
      `${stage?.name ?? "?"}: ${keyword} ${args}${ms > 100 ? ` (${(ms / 1000).toFixed(1)} s)` : ""}`,
    );
  }
  if (stages.length === 0) throw new Error("the Dockerfile has no FROM");
  return { stages, steps, notes };
}

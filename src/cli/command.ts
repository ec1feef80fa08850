/**
 * What a subcommand of the executable is (`conduit admin create-user ...`, `conduit backup ...`):
 * the words that name it, its synopsis for `--help`, and `run`, which returns the exit status.
 * Options are parsed by `parseOptions` so every command reads `--name value`, `--name=value` and
 * flags the same way.
 */

export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

export interface Command {
  /** The words after the executable's name: `["admin", "create-user"]`. */
  readonly words: readonly string[];
  /** Arguments after the words, for the usage text: `NAME [--admin] [--password-file F]`. */
  readonly synopsis: string;
  readonly summary: string;
  run(args: readonly string[], io: CommandIo): Promise<number>;
}

/** A mistake in the command line: printed with the command's usage, exit status 2. */
export class UsageError extends Error {}

export interface ParsedOptions {
  positional: string[];
  flags: Set<string>;
  values: Map<string, string>;
}

/**
 * Splits `args` into positional arguments, flags (`--admin`) and valued options
 * (`--password-file F`, `--password-file=F`); `-c` is `--config`, which every command accepts.
 */
export function parseOptions(args: readonly string[], spec: { flags?: readonly string[]; values?: readonly string[] }): ParsedOptions {
  const flags = new Set(spec.flags ?? []);
  const valued = new Set([...(spec.values ?? []), "config"]);
  const out: ParsedOptions = { positional: [], flags: new Set(), values: new Map() };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("-") || arg === "-") {
      out.positional.push(arg);
      continue;
    }
    const [rawName, inline] = arg.startsWith("--") ? splitOnce(arg.slice(2)) : [arg === "-c" ? "config" : arg, undefined];
    if (flags.has(rawName) && inline === undefined) out.flags.add(rawName);
    else if (valued.has(rawName)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`--${rawName} needs a value`);
      out.values.set(rawName, value);
    } else throw new UsageError(`unknown option "${arg}"`);
  }
  return out;
}

function splitOnce(s: string): [string, string | undefined] {
  const eq = s.indexOf("=");
  return eq < 0 ? [s, undefined] : [s.slice(0, eq), s.slice(eq + 1)];
}

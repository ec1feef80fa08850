/**
 * The executable's subcommands: `conduit <words> [arguments]`. Each command is one module
 * (`Command`); adding one is a module and a line in `commands`. main.ts hands the arguments here
 * when they start with a command's words and exits with the status `runCommand` returns.
 */
import { UsageError, type Command, type CommandIo } from "./command";
import { adminCreateUser } from "./admin-create-user";
import { backup } from "./backup";
import { compact } from "./compact";
import { purgeRoom } from "./purge-room";
import { verify } from "./verify";
import { ToolError } from "./tool-storage";

export const commands: readonly Command[] = [adminCreateUser, backup, compact, verify, purgeRoom];

/** The command whose words `argv` starts with, and the arguments after them. */
export function findCommand(argv: readonly string[]): { command: Command; args: readonly string[] } | undefined {
  const command = commands.find((c) => c.words.every((w, i) => argv[i] === w));
  return command && { command, args: argv.slice(command.words.length) };
}

/** Whether `argv` names a command group without a known command (`conduit admin`, `conduit admin frob`). */
export function isCommandGroup(word: string | undefined): boolean {
  return word !== undefined && commands.some((c) => c.words.length > 1 && c.words[0] === word);
}

/** The usage lines of every command, for `--help`. */
export function commandsUsage(): string {
  return commands.map((c) => `  conduit ${c.words.join(" ")} ${c.synopsis}\n      ${c.summary}\n      (-c, --config <path> as for the server)`).join("\n");
}

const stdio: CommandIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Runs the command; 2 for a usage mistake, 1 for a failure, each explained on stderr. */
export async function runCommand(command: Command, args: readonly string[], io: CommandIo = stdio): Promise<number> {
  try {
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`conduit ${command.words.join(" ")}: ${e.message}`);
      io.err(`usage: conduit ${command.words.join(" ")} ${command.synopsis}`);
      return 2;
    }
    if (e instanceof ToolError) {
      io.err(`conduit ${command.words.join(" ")}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

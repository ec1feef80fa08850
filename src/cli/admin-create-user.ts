/**
 * `conduit admin create-user NAME [--admin] [--password-file F]`: makes an account from the
 * command line, so the first admin needs no client and no open registration. The password is
 * read from the file (`-` is standard input; one trailing newline is dropped), or generated and
 * printed once. Works with the server stopped or running.
 */
import { randomBytes } from "node:crypto";
import { systemClock } from "../runtime/clock";
import { createLocalUser } from "../services/admin/user-creation";
import { MatrixError } from "../services/matrix-error";
import { parseOptions, UsageError, type Command } from "./command";
import { openToolStorage, ToolError } from "./tool-storage";

async function readPassword(path: string): Promise<string> {
  const text = path === "-" ? await Bun.stdin.text() : await readFileText(path);
  const password = text.replace(/\r?\n$/, "");
  if (password === "") throw new ToolError(`the password file ${path} is empty`);
  return password;
}

async function readFileText(path: string): Promise<string> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new ToolError(`the password file ${path} does not exist`);
  return file.text();
}

export const adminCreateUser: Command = {
  words: ["admin", "create-user"],
  synopsis: "NAME [--admin] [--password-file F]",
  summary: "Create an account (an admin with --admin); prints a generated password unless --password-file gives one.",
  async run(args, io) {
    const opts = parseOptions(args, { flags: ["admin"], values: ["password-file"] });
    if (opts.positional.length !== 1) throw new UsageError("give exactly one user name");
    const passwordFile = opts.values.get("password-file");
    const password = passwordFile === undefined ? randomBytes(18).toString("base64url") : await readPassword(passwordFile);
    const { config, storage, besideServer } = await openToolStorage(opts.values.get("config"), (w) => io.err(`warning: ${w}`));
    try {
      const admin = opts.flags.has("admin");
      const userId = await createLocalUser(storage, systemClock, config.server_name, { name: opts.positional[0]!, password, admin });
      io.out(`created ${admin ? "admin " : ""}${userId}${besideServer ? " (the running server sees it at once)" : ""}`);
      if (passwordFile === undefined) io.out(`password: ${password}`);
      return 0;
    } catch (e) {
      if (e instanceof MatrixError) throw new ToolError(e.message);
      throw e;
    } finally {
      storage.close();
    }
  },
};

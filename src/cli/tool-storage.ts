/**
 * The config and database a command works on: the same config the server reads (`--config`, else
 * `CONDUIT_CONFIG`, else the built-in defaults) and its database, opened beside the running
 * server when there is one (WAL, busy timeout), else on its own with migrations applied.
 */
import { ConfigError, databaseFile, loadConfig, type Config } from "../config";
import { createStorage, openForTool, type Storage } from "../storage";
import { StorageError } from "../storage/db";

export interface ToolStorage {
  config: Config;
  storage: Storage;
  /** Whether a server is running on this database right now. */
  besideServer: boolean;
}

/** Opens what `configPath` names; a bad config or an unopenable database is a ToolError naming it. */
export async function openToolStorage(configPath: string | undefined, warn: (line: string) => void): Promise<ToolStorage> {
  return openToolDatabase(await loadToolConfig(configPath, warn));
}

/** The config a command works with; a bad one is a ToolError. */
export async function loadToolConfig(configPath: string | undefined, warn: (line: string) => void): Promise<Config> {
  try {
    return await loadConfig({ path: configPath, warn });
  } catch (e) {
    if (e instanceof ConfigError) throw new ToolError(e.message);
    throw e;
  }
}

/** The config's database, beside a running server when there is one; an unopenable one is a ToolError. */
export function openToolDatabase(config: Config): ToolStorage {
  try {
    const { db, besideServer } = openForTool(databaseFile(config));
    return { config, storage: createStorage(db), besideServer };
  } catch (e) {
    if (e instanceof StorageError) throw new ToolError(e.message);
    throw e;
  }
}

/** A failure the command reports in one sentence, exit status 1. */
export class ToolError extends Error {}

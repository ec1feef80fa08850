/**
 * The application services this server knows: those of the files in `app_service_config_files`
 * (read at start) and those admins registered at run time (stored in the database, as Conduit
 * does). Ids and as_tokens are unique across both (the spec demands it). Each appservice's
 * sender_localpart user exists from the moment it is loaded. Other areas ask it who owns a name
 * (exclusive namespaces) and which appservice an as_token belongs to.
 *
 * The admin commands use `list`, `register(yaml)` and `unregister(id)`.
 */
import {
  compileAppservice,
  isExclusive,
  registrationClash,
  type Appservice,
  type NamespaceKind,
  type Registration,
} from "../../core";
import { parseRegistrationYaml } from "../../config";
import type { Logger } from "../../runtime/logger";
import { MatrixError, notFound } from "../matrix-error";
import type { SharedDeps } from "../shared-deps";

/** A registration file read at start (`readAppserviceFiles` in config). */
export interface RegistrationFile {
  path: string;
  registration: Registration;
}

export interface AppserviceInfo {
  id: string;
  /** `file`: from `app_service_config_files` (`path`); `database`: registered by an admin. */
  source: "file" | "database";
  path?: string;
  /** The registration's YAML as an admin gave it (database registrations only). */
  yaml?: string;
  url: string | null;
  senderUserId: string;
  namespaces: Registration["namespaces"];
}

export type RegistryChange = { type: "registered"; appservice: Appservice } | { type: "unregistered"; id: string };

interface Entry {
  appservice: Appservice;
  info: AppserviceInfo;
}

export const badRegistration = (msg: string) => new MatrixError(400, "M_INVALID_PARAM", msg);

export type RegistryDeps = Pick<SharedDeps, "config" | "storage" | "clock" | "log"> & { files?: readonly RegistrationFile[] };

export function createAppserviceRegistry(deps: RegistryDeps) {
  const { config, storage, clock } = deps;
  const serverName = config.server_name;
  const byId = new Map<string, Entry>();
  const byToken = new Map<string, Entry>();
  const listeners = new Set<(change: RegistryChange) => void>();

  /** The first known appservice `registration` clashes with, and on what. */
  function clashOf(registration: Registration): { with: Entry; on: "id" | "as_token" } | undefined {
    for (const entry of byId.values()) {
      const on = registrationClash(registration, entry.appservice.registration);
      if (on) return { with: entry, on };
    }
    return undefined;
  }

  /** The sender user is a passwordless account, created the first time its appservice loads. */
  function ensureSender(appservice: Appservice): void {
    const userId = appservice.senderUserId;
    if (storage.accounts.getUser(userId)) return;
    storage.accounts.insertUser({ userId, passwordHash: null, displayname: appservice.registration.senderLocalpart, isGuest: false, createdTs: clock.now() });
  }

  function add(registration: Registration, info: Omit<AppserviceInfo, "id" | "url" | "senderUserId" | "namespaces">): Entry {
    const appservice = compileAppservice(registration, serverName);
    const entry: Entry = {
      appservice,
      info: { id: registration.id, url: registration.url, senderUserId: appservice.senderUserId, namespaces: registration.namespaces, ...info },
    };
    ensureSender(appservice);
    byId.set(registration.id, entry);
    byToken.set(registration.asToken, entry);
    deps.log.info("appservice loaded", { id: registration.id, source: info.source, path: info.path, url: registration.url });
    return entry;
  }

  function load(log: Logger): void {
    for (const file of deps.files ?? []) add(file.registration, { source: "file", path: file.path });
    for (const row of storage.appservices.all()) {
      const parsed = parseRegistrationYaml(row.yaml, serverName);
      if (!parsed.ok) {
        log.warn("a registered appservice no longer loads; it is ignored", { id: row.id, problem: parsed.error });
        continue;
      }
      const clash = clashOf(parsed.registration);
      if (clash) {
        // A file is the operator's own word: it wins over what an admin registered earlier.
        log.warn("a registered appservice clashes with a registration file; the file wins", { id: row.id, file: clash.with.info.path, on: clash.on });
        continue;
      }
      add(parsed.registration, { source: "database", yaml: row.yaml });
    }
  }
  load(deps.log);

  function emit(change: RegistryChange): void {
    for (const listener of listeners) listener(change);
  }

  return {
    /** Every appservice, files first, then those registered at run time in the order they were. */
    list(): AppserviceInfo[] {
      return [...byId.values()].map((e) => e.info);
    },

    all(): Appservice[] {
      return [...byId.values()].map((e) => e.appservice);
    },

    get(id: string): Appservice | undefined {
      return byId.get(id)?.appservice;
    },

    /** The appservice whose as_token this is. */
    byToken(token: string): Appservice | undefined {
      return byToken.get(token)?.appservice;
    },

    /** The appservice that holds `value` in an exclusive namespace (or as its sender user). */
    exclusiveOwner(kind: NamespaceKind, value: string): Appservice | undefined {
      for (const entry of byId.values()) if (isExclusive(entry.appservice, kind, value)) return entry.appservice;
      return undefined;
    },

    /**
     * Registers an appservice from its YAML (an admin command): checked like a file, refused if
     * its id or as_token is taken, stored, and live at once. Bad input changes nothing.
     */
    register(yaml: string): AppserviceInfo {
      const parsed = parseRegistrationYaml(yaml, serverName);
      if (!parsed.ok) throw badRegistration(`The registration ${parsed.error}`);
      const registration = parsed.registration;
      const clash = clashOf(registration);
      if (clash) {
        const where = clash.with.info.source === "file" ? ` (from ${clash.with.info.path})` : "";
        throw badRegistration(`An appservice with the same ${clash.on} is already registered: ${clash.with.info.id}${where}`);
      }
      const entry = storage.transaction(() => {
        if (!storage.appservices.add(registration.id, yaml, clock.now())) throw badRegistration(`An appservice with id ${registration.id} is already registered`);
        return add(registration, { source: "database", yaml });
      });
      emit({ type: "registered", appservice: entry.appservice });
      return entry.info;
    },

    /** Unregisters an appservice registered at run time; what was queued for it and its room lists are dropped. */
    unregister(id: string): void {
      const entry = byId.get(id);
      if (!entry) throw notFound(`No appservice has the id ${id}`);
      if (entry.info.source === "file") {
        throw badRegistration(`The appservice ${id} comes from ${entry.info.path}: remove it from app_service_config_files and restart`);
      }
      storage.transaction(() => {
        storage.appservices.remove(id);
        storage.appserviceQueue.clear(id);
        storage.appserviceRoomLists.removeAppservice(id);
      });
      byId.delete(id);
      byToken.delete(entry.appservice.registration.asToken);
      emit({ type: "unregistered", id });
    },

    /** Told of every registration and unregistration (the delivery worker follows them). */
    onChange(listener: (change: RegistryChange) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
export type AppserviceRegistry = ReturnType<typeof createAppserviceRegistry>;

// The appservice registry: files and run-time registrations side by side, sender users created on
// load, registration from YAML text (checked, unique, stored, live at once; bad input changes
// nothing), unregistration of run-time ones only, and what a restart brings back.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, parseRegistrationYaml, type Config } from "../../../src/config";
import type { Registration } from "../../../src/core";
import { createFakeClock } from "../../../src/runtime/clock";
import { createLogger } from "../../../src/runtime/logger";
import { createAppserviceRegistry, type RegistrationFile } from "../../../src/services/appservices/registry";
import { MatrixError } from "../../../src/services/matrix-error";
import { createStorage, openDatabase, type Storage } from "../../../src/storage";

const dir = mkdtempSync(join(tmpdir(), "conduit-as-registry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clock = createFakeClock(1_000);
let config: Config;

const yaml = (id: string, asToken = `as-${id}`) => `
id: ${id}
url: http://127.0.0.1:9/${id}
as_token: ${asToken}
hs_token: hs-${id}
sender_localpart: ${id}bot
namespaces:
  users: [{ exclusive: true, regex: "@${id}_.*" }]
  aliases: [{ exclusive: true, regex: "#${id}_.*" }]
`;

function registration(id: string, asToken?: string): Registration {
  const parsed = parseRegistrationYaml(yaml(id, asToken), "localhost");
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.registration;
}

function open(storage: Storage, files: RegistrationFile[] = [], warnings: string[] = []) {
  const log = createLogger("warn", (line) => warnings.push(line));
  return createAppserviceRegistry({ config, storage, clock, log, files });
}

function refusal(fn: () => unknown): MatrixError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MatrixError);
    return e as MatrixError;
  }
  throw new Error("expected a refusal");
}

beforeAll(async () => {
  config = await loadConfig({ env: {} });
});

test("files load with their path; each sender user exists, passwordless", () => {
  const storage = createStorage(openDatabase(":memory:"));
  const registry = open(storage, [{ path: "/etc/telegram.yaml", registration: registration("telegram") }]);
  expect(registry.list()).toEqual([
    {
      id: "telegram",
      source: "file",
      path: "/etc/telegram.yaml",
      url: "http://127.0.0.1:9/telegram",
      senderUserId: "@telegrambot:localhost",
      namespaces: registration("telegram").namespaces,
    },
  ]);
  expect(storage.accounts.getUser("@telegrambot:localhost")).toMatchObject({ password_hash: null, deactivated: 0 });
  expect(registry.byToken("as-telegram")?.registration.id).toBe("telegram");
  expect(registry.byToken("hs-telegram")).toBeUndefined();
  storage.close();
});

test("register from YAML: stored, live at once, its sender created, listeners told", () => {
  const storage = createStorage(openDatabase(":memory:"));
  const registry = open(storage);
  const changes: string[] = [];
  registry.onChange((c) => changes.push(c.type === "registered" ? `+${c.appservice.registration.id}` : `-${c.id}`));
  const info = registry.register(yaml("signal"));
  expect(info).toMatchObject({ id: "signal", source: "database", yaml: yaml("signal"), senderUserId: "@signalbot:localhost" });
  expect(registry.byToken("as-signal")?.senderUserId).toBe("@signalbot:localhost");
  expect(registry.exclusiveOwner("users", "@signal_bob:localhost")?.registration.id).toBe("signal");
  expect(registry.exclusiveOwner("aliases", "#signal_chat:localhost")?.registration.id).toBe("signal");
  expect(registry.exclusiveOwner("users", "@bob:localhost")).toBeUndefined();
  expect(storage.appservices.get("signal")?.yaml).toBe(yaml("signal"));
  expect(storage.accounts.getUser("@signalbot:localhost")).not.toBeNull();
  expect(changes).toEqual(["+signal"]);
  storage.close();
});

test("bad YAML, a bad field, or a taken id or as_token is refused and changes nothing", () => {
  const storage = createStorage(openDatabase(":memory:"));
  const registry = open(storage, [{ path: "/etc/telegram.yaml", registration: registration("telegram") }]);
  const changes: unknown[] = [];
  registry.onChange((c) => changes.push(c));

  expect(refusal(() => registry.register("id: [")).message).toStartWith("The registration is not valid YAML: ");
  const badField = refusal(() => registry.register(yaml("x").replace("url: http://127.0.0.1:9/x", "url: 42")));
  expect(badField).toMatchObject({ status: 400, errcode: "M_INVALID_PARAM" });
  expect(badField.message).toBe('The registration has a bad field: "url" is number 42, but it must be a URL or null');
  expect(refusal(() => registry.register(yaml("telegram", "fresh"))).message).toBe(
    "An appservice with the same id is already registered: telegram (from /etc/telegram.yaml)",
  );
  expect(refusal(() => registry.register(yaml("other", "as-telegram"))).message).toContain("the same as_token");

  expect(registry.list().map((a) => a.id)).toEqual(["telegram"]);
  expect(storage.appservices.all()).toEqual([]);
  expect(storage.accounts.getUser("@otherbot:localhost")).toBeNull();
  expect(changes).toEqual([]);
  storage.close();
});

test("unregister: run-time registrations go with their queue and room lists; files and unknown ids are refused", () => {
  const storage = createStorage(openDatabase(":memory:"));
  const registry = open(storage, [{ path: "/etc/telegram.yaml", registration: registration("telegram") }]);
  registry.register(yaml("signal"));
  storage.appserviceQueue.enqueue("signal", "event", "{}", 1_000);
  storage.appserviceRoomLists.setPublished("signal", "net", "!r:localhost", true);
  storage.appserviceRoomLists.setPublished("telegram", "net", "!r:localhost", true);

  expect(refusal(() => registry.unregister("telegram")).message).toContain("comes from /etc/telegram.yaml");
  expect(refusal(() => registry.unregister("nope"))).toMatchObject({ status: 404, errcode: "M_NOT_FOUND" });
  registry.unregister("signal");
  expect(registry.list().map((a) => a.id)).toEqual(["telegram"]);
  expect(registry.byToken("as-signal")).toBeUndefined();
  expect(storage.appservices.get("signal")).toBeNull();
  expect(storage.appserviceQueue.depth("signal")).toBe(0);
  expect(storage.appserviceRoomLists.rooms("signal", "net")).toEqual([]);
  expect(storage.appserviceRoomLists.rooms("telegram", "net")).toEqual(["!r:localhost"]);
  // The id and token are free again.
  registry.register(yaml("signal"));
  expect(registry.byToken("as-signal")).toBeDefined();
  storage.close();
});

test("a restart brings run-time registrations back; a file wins a clash; one that no longer loads is skipped", () => {
  const file = join(dir, "restart.db");
  let storage = createStorage(openDatabase(file));
  let registry = open(storage);
  registry.register(yaml("signal"));
  registry.register(yaml("whatsapp"));
  storage.appservices.add("broken", "id: broken\n", 2_000);
  storage.close();

  storage = createStorage(openDatabase(file));
  const warnings: string[] = [];
  registry = open(storage, [{ path: "/etc/whatsapp.yaml", registration: registration("whatsapp", "as-file") }], warnings);
  expect(registry.list().map((a) => [a.id, a.source])).toEqual([
    ["whatsapp", "file"],
    ["signal", "database"],
  ]);
  expect(registry.byToken("as-file")?.registration.id).toBe("whatsapp");
  expect(registry.byToken("as-whatsapp")).toBeUndefined();
  expect(warnings.join("\n")).toContain("a registered appservice no longer loads; it is ignored");
  expect(warnings.join("\n")).toContain("the file wins");
  storage.close();
});

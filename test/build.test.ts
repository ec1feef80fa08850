// The single executable and the container image: `scripts/build.ts` compiles one binary that runs
// without Bun or node_modules, ignores `.env` and `bunfig.toml` where it runs, starts its workers
// and serves /versions;
// `scripts/scratch-rootfs` assembles the image's file set, which must start under chroot alone.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { compiledBinary } from "./helpers/binary";
import { gatewayToml, startPushGateway } from "./helpers/push-gateway";
import { startServer } from "./helpers/server";
import { createTestCa } from "./helpers/tls";
import { addUser } from "./helpers/users";
import { createStorage, openDatabase } from "../src/storage";
import { readImageHeader } from "../src/core/media/image-header";
import { loginUser, registerUser } from "./helpers/client";
import { runCli, serverConfig } from "./helpers/admin";
import { testDevice } from "./helpers/e2ee-keys";

/** Uploads a JPEG and asks for a 32x32 crop: the thumbnail worker and ImageMagick run in the binary. */
async function expectThumbnail(baseUrl: string): Promise<void> {
  const session = await registerUser(baseUrl, "pictures");
  const headers = { Authorization: `Bearer ${session.access_token}` };
  const jpeg = await Bun.file(join(import.meta.dir, "fixtures/media/photo.jpg")).bytes();
  const up = await fetch(`${baseUrl}/_matrix/media/v3/upload`, { method: "POST", headers: { ...headers, "Content-Type": "image/jpeg" }, body: jpeg });
  const mxc = ((await up.json()) as { content_uri: string }).content_uri.slice("mxc://".length);
  const thumb = await fetch(`${baseUrl}/_matrix/client/v1/media/thumbnail/${mxc}?width=32&height=32&method=crop`, { headers });
  expect(thumb.status).toBe(200);
  expect(readImageHeader(new Uint8Array(await thumb.arrayBuffer()))).toMatchObject({ format: "jpeg", width: 32, height: 32 });
}

const root = join(import.meta.dir, "..");
let binary: string;
beforeAll(async () => {
  binary = await compiledBinary();
}, 120_000);

describe("the compiled executable", () => {
  test("--version answers without Bun on the PATH", () => {
    const run = Bun.spawnSync([binary, "--version"], { env: { PATH: "/usr/bin:/bin" }, cwd: tmpdir() });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.toString().trim()).toBe(`conduit ${pkg.version}`);
  });

  test("serves /versions with a config file, and ignores .env and bunfig.toml in its directory", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "conduit-cwd-"));
    // If either file were read, the server would change its name or never start.
    writeFileSync(join(cwd, ".env"), "CONDUIT_SERVER_NAME=from-dotenv.example\n");
    writeFileSync(join(cwd, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
    writeFileSync(join(cwd, "preload.ts"), 'console.log("bunfig preload ran"); process.exit(9);\n');
    const server = await startServer({ command: [binary], cwd });
    try {
      const versions = await fetch(`${server.baseUrl}/_matrix/client/versions`);
      expect(versions.status).toBe(200);
      expect(((await versions.json()) as { versions: string[] }).versions).toContain("v1.19");
      const fed = await (await fetch(`${server.baseUrl}/.well-known/matrix/server`)).json();
      expect(fed).toEqual({ "m.server": "localhost:443" });
      expect(server.output.join("\n")).not.toContain("preload ran");
    } finally {
      expect(await server.stop()).toBe(0);
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test("carries every migration: device keys are stored and served (the E2EE tables are the newest)", async () => {
    const server = await startServer({ command: [binary] });
    try {
      const user = await addUser(server, "keys");
      const device = testDevice(user.id, user.session.device_id);
      const upload = await user.call<{ one_time_key_counts: Record<string, number> }>("POST", "/keys/upload", { device_keys: device.deviceKeys(), one_time_keys: device.oneTimeKeys(2) });
      expect(upload.body.one_time_key_counts).toEqual({ signed_curve25519: 2 });
      const query = await user.call<{ device_keys: Record<string, Record<string, unknown>> }>("POST", "/keys/query", { device_keys: { [user.id]: [] } });
      expect(Object.keys(query.body.device_keys[user.id]!)).toEqual([user.session.device_id]);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  test("admin create-user makes the first admin beside the running binary", async () => {
    const server = await startServer({ command: [binary] });
    try {
      const res = await runCli(["admin", "create-user", "boss", "--admin", "--password-file", "-"], { command: [binary], configPath: serverConfig(server), stdin: "boss pw\n" });
      expect(res).toMatchObject({ code: 0 });
      const boss = await loginUser(server.baseUrl, "boss", "boss pw");
      const admin = await fetch(`${server.baseUrl}/_synapse/admin/v1/users/${encodeURIComponent(boss.user_id)}/admin`, { headers: { Authorization: `Bearer ${boss.access_token}` } });
      expect(await admin.json()).toEqual({ admin: true });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  test("makes thumbnails with nothing beside it (the thumbnail worker and ImageMagick are inside)", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "conduit-cwd-"));
    const server = await startServer({ command: [binary], cwd, env: { PATH: "/usr/bin:/bin" } });
    try {
      await expectThumbnail(server.baseUrl);
    } finally {
      expect(await server.stop()).toBe(0);
      rmSync(cwd, { recursive: true, force: true });
    }
  }, 60_000);

  test("starts its federation sender worker only when something is queued, and it runs inside the binary", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "conduit-data-"));
    const senderStarted = (lines: string[]) => lines.some((l) => l.includes("federation sender started"));
    try {
      const idle = await startServer({ command: [binary], dataDir });
      await Bun.sleep(300);
      expect(senderStarted(idle.output)).toBe(false); // nothing to send: no sender thread
      expect(await idle.stop()).toBe(0);

      // An item left in the queue (as after a crash) makes the next start run the worker at once.
      const storage = createStorage(openDatabase(join(dataDir, "conduit.db")));
      storage.federationQueue.enqueue(["127.0.0.1:9"], "edu", JSON.stringify({ edu_type: "m.presence", content: { push: [] } }), Date.now());
      storage.close();
      const busy = await startServer({ command: [binary], dataDir });
      // The worker, bundled as an extra entry point, runs inside the binary and reports back.
      for (let i = 0; i < 300 && !senderStarted(busy.output); i++) await Bun.sleep(10);
      expect(senderStarted(busy.output)).toBe(true);
      expect(await busy.stop()).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("the compiled executable runs its push sender worker: a message reaches the push gateway", async () => {
    const ca = createTestCa();
    const gateway = startPushGateway(ca);
    const server = await startServer({ command: [binary], toml: gatewayToml(ca) });
    try {
      const [alice, bob] = [await addUser(server, "alice"), await addUser(server, "bob")];
      const roomId = (await alice.call<{ room_id: string }>("POST", "/createRoom", { preset: "public_chat" })).body.room_id;
      await bob.call("POST", `/join/${encodeURIComponent(roomId)}`, {});
      const pusher = { kind: "http", app_id: "a", pushkey: "k", app_display_name: "A", device_display_name: "D", lang: "en", data: { url: gateway.url } };
      expect((await bob.call("POST", "/pushers/set", pusher)).status).toBe(200);
      const sent = await alice.call<{ event_id: string }>("PUT", `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b1`, { msgtype: "m.text", body: "hi" });
      await gateway.waitFor((n) => n.event_id === sent.body.event_id);
    } finally {
      expect(await server.stop()).toBe(0);
      gateway.stop();
      ca.remove();
    }
  }, 60_000);
});

/** Every file under `dir`, as absolute paths inside it ("/lib/x86_64-linux-gnu/libc.so.6"). */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((p) => statSync(join(dir, p)).isFile())
    .map((p) => `/${p}`)
    .sort();
}

/** The libraries `ldd` reports for the binary (the kernel's vdso has no file). */
function linkedLibraries(file: string): string[] {
  const out = Bun.spawnSync(["ldd", file]).stdout.toString();
  return [...out.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => basename(m[1]!)).sort();
}

describe("the container image (FROM scratch)", () => {
  test("the Dockerfile's final stage is exactly scripts/scratch-rootfs's output", async () => {
    const dockerfile = await Bun.file(join(root, "Dockerfile")).text();
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    const [buildStage, finalStage] = stages as [string, string];
    expect(buildStage).toMatch(/^\S+ AS build\n/);
    expect(buildStage).toMatch(/RUN [^]*bun run build[^]*scripts\/scratch-rootfs dist\/conduit \/rootfs/);
    expect(finalStage).toStartWith("scratch\n");
    const copies = finalStage.split("\n").filter((l) => /^(COPY|ADD)\b/.test(l));
    expect(copies).toEqual(["COPY --from=build /rootfs/ /"]);
    expect(finalStage).toContain('ENTRYPOINT ["/conduit"]');
  });

  const isRoot = process.getuid?.() === 0;
  if (!isRoot) console.warn("skipping the chroot test: it needs root (chroot and a /proc mount)");

  test.skipIf(!isRoot)("the assembled root filesystem holds only the binary, its libraries, CA certificates and /data, and serves /versions under chroot", async () => {
    const rootfs = mkdtempSync(join(tmpdir(), "conduit-rootfs-"));
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      const assemble = Bun.spawnSync([join(root, "scripts/scratch-rootfs"), binary, rootfs], { stderr: "pipe" });
      expect(assemble.stderr.toString()).toBe("");
      expect(assemble.exitCode).toBe(0);

      const files = listFiles(rootfs);
      expect(files).toContain("/conduit");
      expect(files).toContain("/etc/ssl/certs/ca-certificates.crt");
      const libs = files.filter((f) => f !== "/conduit" && !f.startsWith("/etc/"));
      expect(libs.map((f) => basename(f)).sort()).toEqual(linkedLibraries(binary));
      expect(statSync(join(rootfs, "data")).isDirectory()).toBe(true);
      expect(readdirSync(rootfs).sort()).toEqual(["conduit", "data", "etc", ...new Set(libs.map((f) => f.split("/")[1]!))].sort());

      writeFileSync(join(rootfs, "conduit.toml"), '[global]\naddress = "127.0.0.1"\nport = 0\ndatabase_path = "/data"\nallow_registration = true\n');
      // A container runtime mounts /proc for the process (the executable reads itself through
      // /proc/self/exe); a private mount namespace does the same here and vanishes with the process.
      const inContainer = `mkdir -p "$1/proc" && mount -t proc proc "$1/proc" && exec chroot "$1" /conduit --config /conduit.toml`;
      server = await startServer({ command: ["unshare", "--mount", "sh", "-c", inContainer, "sh", rootfs] });
      const res = await fetch(`${server.baseUrl}/_matrix/client/versions`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { versions: string[] }).versions).toContain("v1.19");
      expect(server.output.join("\n")).toContain('"database":"/data/conduit.db"');
      await expectThumbnail(server.baseUrl);
      expect(await server.stop()).toBe(0);
      server = undefined;
      expect(listFiles(rootfs).map((f) => relative("/", f))).toContain("data/conduit.db");
    } finally {
      await server?.stop();
      rmSync(rootfs, { recursive: true, force: true });
    }
  });
});

/**
 * Requests per second of `GET /_matrix/client/versions` through the whole stack (the real server,
 * `src/main.ts`: config, Elysia plugins, request logging to a file, rate limits off) against a bare
 * `Bun.serve` answering the same bytes, measured side by side in one run. Each server is its own
 * process; the load comes from this process over loopback keep-alive connections (a minimal
 * HTTP/1.1 client on raw sockets, far cheaper per request than `fetch`), for a fixed time.
 * Besides requests per second, it reports the server's CPU time per request (from
 * /proc/<pid>/stat), which stays meaningful when other work shares the machine.
 * Target: whole stack >= 0.7 x bare.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PATH = "/_matrix/client/versions";
const CONNECTIONS = 32;
const WARMUP_MS = 1_000;
const MEASURE_MS = 2_000;
const ROUNDS = 5;

// --- the bare server (child mode) -------------------------------------------------------------

if (process.argv[2] === "--bare") {
  const app = await fetch(process.argv[3]!);
  const body = await app.arrayBuffer();
  const headers = Object.fromEntries([...app.headers].filter(([k]) => k !== "date" && k !== "content-length"));
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(body, { headers }) });
  console.log(`listening ${server.port}`);
  await new Promise(() => {});
}

// --- the load generator -----------------------------------------------------------------------

interface LoadResult {
  requests: number;
  seconds: number;
  errors: number;
}

/**
 * Keeps `CONNECTIONS` sockets busy with one request in flight each, for `ms` milliseconds, and
 * counts complete 200 responses.
 */
function load(port: number, ms: number): Promise<LoadResult> {
  const request = new TextEncoder().encode(`GET ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  const decoder = new TextDecoder();
  let ok = 0;
  let errors = 0;
  let running = true;
  const started = performance.now();
  const sockets: Array<Promise<void>> = [];
  for (let c = 0; c < CONNECTIONS; c++) {
    sockets.push(
      new Promise<void>((resolve, reject) => {
        let pending = "";
        void Bun.connect({
          hostname: "127.0.0.1",
          port,
          socket: {
            open(socket) {
              socket.write(request);
            },
            data(socket, chunk) {
              pending += decoder.decode(chunk);
              for (;;) {
                const headerEnd = pending.indexOf("\r\n\r\n");
                if (headerEnd < 0) return;
                const length = /\r\ncontent-length: *(\d+)/i.exec(pending.slice(0, headerEnd));
                if (!length) return reject(new Error("response without content-length"));
                const end = headerEnd + 4 + Number(length[1]);
                if (pending.length < end) return;
                if (pending.startsWith("HTTP/1.1 200")) ok++;
                else errors++;
                pending = pending.slice(end);
                if (!running) {
                  socket.end();
                  return;
                }
                socket.write(request);
              }
            },
            close: () => resolve(),
            error: (_socket, error) => reject(error),
          },
        }).catch(reject);
      }),
    );
  }
  return new Promise((resolve, reject) => {
    setTimeout(() => {
      running = false;
      const seconds = (performance.now() - started) / 1000;
      const requests = ok;
      Promise.all(sockets).then(() => resolve({ requests, seconds, errors }), reject);
    }, ms);
  });
}

// --- the servers under test -------------------------------------------------------------------

interface Running {
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const clockTicks = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

/** User + system CPU seconds a process has used, all its threads included. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

async function readLine(proc: { stdout: ReadableStream<Uint8Array> }, pattern: RegExp): Promise<RegExpExecArray> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of proc.stdout) {
    text += decoder.decode(chunk, { stream: true });
    const match = pattern.exec(text);
    if (match) return match;
  }
  throw new Error(`child ended before printing ${pattern}:\n${text}`);
}

/** The real server with request logs going to a file, as in production. */
async function startWholeStack(dir: string): Promise<Running> {
  const config = join(dir, "conduit.toml");
  writeFileSync(
    config,
    `[global]\nserver_name = "bench.local"\ndatabase_path = "${dir}"\nport = 0\nlog = "info"\n[global.rate_limits]\nenabled = false\n`,
  );
  const logFile = join(dir, "server.log");
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "..", "src", "main.ts"), "--config", config], {
    stdout: Bun.file(logFile),
    stderr: "inherit",
  });
  for (let i = 0; i < 500; i++) {
    const port = /"listening":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(await Bun.file(logFile).text())?.[1];
    if (port) return { port: Number(port), pid: proc.pid, stop: async () => void (proc.kill(), await proc.exited) };
    await Bun.sleep(10);
  }
  throw new Error("the server did not start");
}

async function startBare(appUrl: string): Promise<Running> {
  const proc = Bun.spawn([process.execPath, import.meta.path, "--bare", appUrl], { stdout: "pipe", stderr: "inherit" });
  const port = Number((await readLine(proc, /listening (\d+)/))[1]);
  return { port, pid: proc.pid, stop: async () => void (proc.kill(), await proc.exited) };
}

// --- the run ----------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), "conduit-bench-http-"));
const whole = await startWholeStack(dir);
const bare = await startBare(`http://127.0.0.1:${whole.port}${PATH}`);
interface Sample {
  perSecond: number;
  /** Server CPU time per request, in microseconds. */
  cpuMicros: number;
}

async function measure(server: Running): Promise<Sample & { errors: number }> {
  const cpuBefore = cpuSeconds(server.pid);
  const run = await load(server.port, MEASURE_MS);
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  return { perSecond: run.requests / run.seconds, cpuMicros: (cpu * 1e6) / run.requests, errors: run.errors };
}

const median = (xs: number[]) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(9);

try {
  for (const server of [whole, bare]) await load(server.port, WARMUP_MS);
  const samples = { whole: [] as Sample[], bare: [] as Sample[] };
  let errors = 0;
  // Alternate the two so that drift of the machine affects both alike; compare paired rounds.
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, server] of [["bare", bare], ["whole", whole]] as const) {
      const sample = await measure(server);
      samples[name].push(sample);
      errors += sample.errors;
    }
  }
  const rps = (name: "whole" | "bare") => median(samples[name].map((s) => s.perSecond));
  const cpu = (name: "whole" | "bare") => median(samples[name].map((s) => s.cpuMicros));
  const rpsRatio = median(samples.whole.map((w, i) => w.perSecond / samples.bare[i]!.perSecond));
  const cpuRatio = median(samples.whole.map((w, i) => samples.bare[i]!.cpuMicros / w.cpuMicros));
  console.log(`GET ${PATH}, ${CONNECTIONS} keep-alive connections, median of ${ROUNDS} x ${MEASURE_MS / 1000} s`);
  console.log(`                                 req/s   server CPU per request`);
  console.log(`  bare Bun.serve, same bytes ${fmt(rps("bare"))}   ${cpu("bare").toFixed(1).padStart(6)} µs`);
  console.log(`  whole stack (src/main.ts)  ${fmt(rps("whole"))}   ${cpu("whole").toFixed(1).padStart(6)} µs`);
  console.log(`  ratio whole/bare           ${rpsRatio.toFixed(2).padStart(9)}   ${cpuRatio.toFixed(2).padStart(6)}      (target >= 0.70)`);
  if (errors > 0) {
    console.error(`${errors} responses were not 200`);
    process.exitCode = 1;
  }
} finally {
  await Promise.all([whole.stop(), bare.stop()]);
  rmSync(dir, { recursive: true, force: true });
}

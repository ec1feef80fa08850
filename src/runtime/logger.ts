/**
 * Structured logging: one JSON line per record on stdout/stderr, filtered by the configured level
 * (`log = "info"`; Conduit-style directive lists such as "info,state_res=warn" use their first item).
 */
export type Level = "error" | "warn" | "info" | "debug";
const rank: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

export function parseLevel(directive: string): Level {
  const first = directive.split(",")[0]?.trim().toLowerCase() ?? "";
  if (first === "trace") return "debug";
  if (first === "off") return "error";
  return first in rank ? (first as Level) : "info";
}

function serialise(value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}

/** ISO timestamps are formatted once per millisecond, however many lines share it. */
let lastMs = 0;
let lastIso = "";
function timestamp(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

export function createLogger(level: Level, write: (line: string, level: Level) => void = defaultWrite): Logger {
  const emit = (l: Level) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (rank[l] > rank[level]) return;
    const record: Record<string, unknown> = { ts: timestamp(), level: l, msg };
    for (const k in fields) record[k] = serialise(fields[k]);
    write(JSON.stringify(record), l);
  };
  return { error: emit("error"), warn: emit("warn"), info: emit("info"), debug: emit("debug") };
}

/**
 * Info and debug lines (one per request) are gathered and written every few milliseconds rather
 * than one system call each; warnings and errors go out at once, after whatever was waiting, and
 * whatever waits is written when the process exits.
 */
const FLUSH_DELAY_MS = 10;
let pendingOut = "";
let flushesAtExit = false;
function flushOut(): void {
  if (pendingOut === "") return;
  process.stdout.write(pendingOut);
  pendingOut = "";
}

function defaultWrite(line: string, level: Level): void {
  if (level === "error" || level === "warn") {
    flushOut();
    process.stderr.write(`${line}\n`);
    return;
  }
  // Registered with the first buffered line, not at import: importing the logger (as every
  // worker does) has no effect on the process.
  if (!flushesAtExit) {
    flushesAtExit = true;
    process.on("exit", flushOut);
  }
  if (pendingOut === "") setTimeout(flushOut, FLUSH_DELAY_MS).unref();
  pendingOut += `${line}\n`;
}

/**
 * The integrity check worker: one full `PRAGMA integrity_check` on its own read-only connection,
 * at the lowest CPU priority (its thread's nice value, so it yields the core to requests), then it
 * is done. The main thread keeps serving while the check reads the whole file.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { errorMessage } from "../../core";
import { checkIntegrity } from "../../storage/integrity";
import type { CheckRequest, FromIntegrityWorker } from "./protocol";

declare const self: Worker;

/** Linux: a thread's id is its own scheduling entity, and `setpriority` on it leaves the others alone. */
function lowerThreadPriority(): void {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").at(-1));
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 19);
  } catch {
    // Not Linux, or not permitted: the check runs at normal priority.
  }
}

self.onmessage = (event: MessageEvent<CheckRequest>) => {
  lowerThreadPriority();
  let reply: FromIntegrityWorker;
  try {
    reply = { kind: "checked", report: checkIntegrity(event.data.file) };
  } catch (error) {
    reply = { kind: "failed", error: errorMessage(error) };
  }
  self.postMessage(reply);
};

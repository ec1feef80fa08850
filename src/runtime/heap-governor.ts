/**
 * Keeps the JavaScript heap near what is alive. JavaScriptCore sizes its heap from the machine's
 * RAM: on a 24 GB host it lets garbage pile up to several times the live data before collecting,
 * and a homeserver's requests make garbage fast (parsed JSON, response bodies), so the resident
 * memory of a busy server followed the garbage rather than the caches. Once a second this looks
 * at the heap and, when it grew by more than `headroomBytes` since the last collection, runs a
 * full one (a few ms at these sizes; nothing while the server is idle).
 */
import { heapSize } from "bun:jsc";

export function startHeapGovernor(headroomBytes: number, intervalMs = 1_000): () => void {
  let settled = heapSize();
  const timer = setInterval(() => {
    if (heapSize() - settled <= headroomBytes) return;
    Bun.gc(true); // a full collection, and the allocator hands freed pages back to the system
    settled = heapSize();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * A pool of state resolution workers with the signature of `resolveState`: the main thread walks
 * the auth chains through `fetchEvent`, streams the events to the least busy worker in small
 * chunks (yielding between them, so the event loop keeps serving), and the worker resolves. A
 * failing job rejects; a crashed worker rejects its jobs and is replaced.
 */
import type { BusyMeter } from "../../runtime/busy-meter";
import type { RoomVersionRules } from "../../core/room-versions.ts";
import { rulesFor } from "../../core/room-versions.ts";
import type { FetchEvent, StateResolver } from "../../core/state-res/resolve-state.ts";
import type { Pdu } from "../../core/types.ts";
import { refId } from "../../core/types.ts";
import type { FromStateResWorker, ToStateResWorker } from "./protocol.ts";

export interface StateResPool extends StateResolver {
  readonly size: number;
  /** How many worker threads are running now (none until the first resolution). */
  running(): number;
  /** Stops the workers; unfinished jobs reject. */
  close(): void;
}

export interface StateResPoolOptions {
  /** Number of workers; one per core by default. */
  size?: number;
  /** The worker script (tests substitute one); the real one by default. */
  workerUrl?: string;
  /** Told of every resolution while it runs (for metrics). */
  busy?: BusyMeter;
}

/** Events per message: small enough that serialising one chunk is a short pause. */
const CHUNK_EVENTS = 2000;

interface Job {
  id: number;
  resolve: (state: string[]) => void;
  reject: (error: Error) => void;
}

/**
 * One worker and the jobs it has been given. The worker starts with the slot's first job (an idle
 * server keeps no resolver threads: each costs several MB) and after a crash with the next one.
 */
class Slot {
  worker: Worker | undefined;
  readonly jobs = new Map<number, Job>();
}

/**
 * The worker script beside this module. In a compiled binary every bundled module carries the
 * executable's URL at the bundle root (src/), and the worker entry point sits in workers/ below
 * it, so the same file is named from there.
 */
const DEFAULT_WORKER_URL = import.meta.url.includes("/$bunfs/")
  ? new URL("./workers/state-res/state-res.worker.ts", import.meta.url).href
  : new URL("./state-res.worker.ts", import.meta.url).href;

/** Ids looked at between two pauses, whether or not they add events to the chunk. */
const STEPS_PER_SLICE = 5000;

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The state events and their whole auth chains (since v12 also the create event a room id names),
 * in slices short enough to pause between: each slice is the events found since the last one.
 */
function* authChainChunks(
  stateSets: readonly (readonly string[])[],
  fetchEvent: FetchEvent,
  rules: RoomVersionRules,
): Generator<Array<[string, Pdu]>> {
  const seen = new Set<string>();
  const pending: string[] = [];
  let chunk: Array<[string, Pdu]> = [];
  let steps = 0;
  const visit = (id: string) => {
    steps++;
    if (!seen.has(id)) {
      seen.add(id);
      pending.push(id);
    }
  };
  for (const set of stateSets) {
    for (const stateEventId of set) {
      visit(stateEventId);
      while (pending.length > 0) {
        const id = pending.pop()!;
        const event = fetchEvent(id);
        if (event) {
          chunk.push([id, event]);
          for (const ref of event.auth_events) visit(refId(ref));
          if (rules.roomIdIsCreateEventHash && typeof event.room_id === "string") visit(`$${event.room_id.slice(1)}`);
        }
        if (chunk.length >= CHUNK_EVENTS || steps >= STEPS_PER_SLICE) {
          yield chunk;
          chunk = [];
          steps = 0;
        }
      }
      if (steps >= STEPS_PER_SLICE) {
        yield chunk;
        chunk = [];
        steps = 0;
      }
    }
  }
  yield chunk;
}

export function createStateResPool(options: StateResPoolOptions = {}): StateResPool {
  const size = Math.max(1, options.size ?? navigator.hardwareConcurrency ?? 1);
  const workerUrl = options.workerUrl ?? DEFAULT_WORKER_URL;
  let closed = false;
  let nextJobId = 1;
  let nextSlot = 0;

  const slots: Slot[] = Array.from({ length: size }, () => new Slot());

  function startWorker(slot: Slot): Worker {
    const worker = new Worker(workerUrl);
    slot.worker = worker;
    worker.unref();
    worker.onmessage = (event: MessageEvent<FromStateResWorker>) => {
      const message = event.data;
      const job = slot.jobs.get(message.jobId);
      if (!job) return;
      settle(slot, job);
      if (message.kind === "resolved") job.resolve(JSON.parse(message.state) as string[]);
      else job.reject(new Error(`state resolution failed: ${message.error}`));
    };
    worker.addEventListener("error", (event) => crashed(slot, worker, (event as ErrorEvent).message));
    worker.addEventListener("close", () => crashed(slot, worker, "the worker exited"));
    return worker;
  }

  /** A worker that threw or exited takes its jobs down with it; a fresh one takes its place. */
  function crashed(slot: Slot, worker: Worker, reason: string): void {
    if (slot.worker !== worker) return;
    const jobs = [...slot.jobs.values()];
    slot.jobs.clear();
    worker.terminate();
    slot.worker = undefined;
    for (const job of jobs) job.reject(new Error(`state resolution worker crashed: ${reason}`));
  }

  function settle(slot: Slot, job: Job): void {
    slot.jobs.delete(job.id);
    if (slot.jobs.size === 0) slot.worker?.unref();
  }

  /** The slot with the fewest jobs, taking turns among equals. */
  function leastBusy(): Slot {
    let best = slots[nextSlot % size]!;
    for (let i = 1; i < size; i++) {
      const candidate = slots[(nextSlot + i) % size]!;
      if (candidate.jobs.size < best.jobs.size) best = candidate;
    }
    nextSlot = (slots.indexOf(best) + 1) % size;
    return best;
  }

  async function resolveState(
    roomVersion: string,
    stateSets: readonly (readonly string[])[],
    fetchEvent: FetchEvent,
  ): Promise<string[]> {
    if (closed) throw new Error("the state resolution pool is closed");
    const rules = rulesFor(roomVersion);
    const slot = leastBusy();
    const worker = slot.worker ?? startWorker(slot);
    const jobId = nextJobId++;
    const result = new Promise<string[]>((resolve, reject) => slot.jobs.set(jobId, { id: jobId, resolve, reject }));
    if (options.busy) void result.finally(options.busy.start()).catch(() => {});
    // The job may fail while its events are still being sent; the caller sees it when we return.
    result.catch(() => {});
    worker.ref();
    const send = (message: ToStateResWorker) => worker.postMessage(message);
    const stillRunning = () => slot.worker === worker && slot.jobs.has(jobId);
    try {
      for (const chunk of authChainChunks(stateSets, fetchEvent, rules)) {
        if (!stillRunning()) break;
        if (chunk.length > 0) send({ kind: "events", jobId, events: JSON.stringify(chunk) });
        await nextTick();
      }
      if (stillRunning()) send({ kind: "resolve", jobId, roomVersion, stateSets: JSON.stringify(stateSets) });
    } catch (error) {
      const job = slot.jobs.get(jobId);
      if (job && slot.worker === worker) {
        send({ kind: "discard", jobId });
        settle(slot, job);
        job.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return result;
  }

  function close(): void {
    if (closed) return;
    closed = true;
    for (const slot of slots) {
      const jobs = [...slot.jobs.values()];
      slot.jobs.clear();
      slot.worker?.terminate();
      for (const job of jobs) job.reject(new Error("the state resolution pool is closed"));
    }
  }

  const running = () => slots.filter((slot) => slot.worker !== undefined).length;
  return { size, running, resolveState, close };
}

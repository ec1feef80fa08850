/**
 * The state resolution worker: collects each job's events as they stream in, then runs the same
 * synchronous resolution as the main thread would, off the main thread. Failures are answered,
 * never thrown, so one bad job cannot take the worker down.
 */
import { resolveStateSync } from "../../core/state-res/resolve-state.ts";
import type { Pdu } from "../../core/types.ts";
import type { FromStateResWorker, ToStateResWorker } from "./protocol.ts";
import { errorMessage } from "../../core";

declare const self: Worker;

const eventsByJob = new Map<number, Map<string, Pdu>>();
const LARGE_JOB_EVENTS = 20_000;

function reply(message: FromStateResWorker): void {
  self.postMessage(message);
}

self.onmessage = (event: MessageEvent<ToStateResWorker>) => {
  const message = event.data;
  switch (message.kind) {
    case "events": {
      let events = eventsByJob.get(message.jobId);
      if (!events) eventsByJob.set(message.jobId, (events = new Map()));
      for (const [id, pdu] of JSON.parse(message.events) as Array<[string, Pdu]>) events.set(id, pdu);
      return;
    }
    case "discard":
      eventsByJob.delete(message.jobId);
      return;
    case "resolve": {
      const events = eventsByJob.get(message.jobId) ?? new Map<string, Pdu>();
      eventsByJob.delete(message.jobId);
      try {
        const stateSets = JSON.parse(message.stateSets) as string[][];
        const state = resolveStateSync(message.roomVersion, stateSets, (id) => events.get(id));
        reply({ kind: "resolved", jobId: message.jobId, state: JSON.stringify(state) });
      } catch (error) {
        reply({ kind: "failed", jobId: message.jobId, error: errorMessage(error) });
      }
      // A large job leaves hundreds of megabytes of garbage; collect it now rather than let the
      // next large job pile on top of it.
      if (events.size >= LARGE_JOB_EVENTS) Bun.gc(true);
    }
  }
};

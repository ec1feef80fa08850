/**
 * The real state resolution worker, except that a job whose state sets name `$crash` makes it
 * throw out of its message handler: how the pool copes with a worker that dies mid-job.
 */
import "../../../src/workers/state-res/state-res.worker.ts";
import type { ToStateResWorker } from "../../../src/workers/state-res/protocol.ts";

declare const self: Worker;

const realHandler = self.onmessage;
self.onmessage = (event: MessageEvent<ToStateResWorker>) => {
  const message = event.data;
  if (message.kind === "resolve" && message.stateSets.includes('"$crash"')) throw new Error("worker crashed on purpose");
  realHandler?.call(self, event);
};

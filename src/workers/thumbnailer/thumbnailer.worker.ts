/**
 * The thumbnail worker: decoding and scaling pictures off the main thread, so a large photo never
 * holds up requests, and ImageMagick's memory goes away with the worker when it stops.
 */
import { errorMessage } from "../../core/error-message.ts";
import { renderThumbnail } from "./render.ts";
import type { FromThumbnailWorker, ToThumbnailWorker } from "./protocol.ts";

declare const self: Worker;

self.onmessage = async (event: MessageEvent<ToThumbnailWorker>) => {
  const { jobId, ...job } = event.data;
  let reply: FromThumbnailWorker;
  try {
    reply = { kind: "rendered", jobId, ...(await renderThumbnail(job)) };
  } catch (error) {
    reply = { kind: "failed", jobId, error: errorMessage(error) };
  }
  self.postMessage(reply, reply.kind === "rendered" ? [reply.data.buffer as ArrayBuffer] : []);
};

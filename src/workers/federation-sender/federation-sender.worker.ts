/**
 * Worker entry of the federation sender: opens its own connection to the database (WAL lets it
 * write beside the main thread), builds the signing HTTPS client, and runs the delivery loop on
 * the commands the main thread posts.
 */
import { createOutboundClient } from "../../net";
import { withFailureLog } from "../../net/failure-log";
import { systemClock } from "../../runtime/clock";
import { createLogger, parseLevel } from "../../runtime/logger";
import { serveQueueWorker } from "../../runtime/queue-worker";
import { createStorage, openDatabase } from "../../storage";
import { createSenderLoop } from "./sender-loop";
import type { SenderCommand, SenderEvent } from "./protocol";

declare const self: Worker;

serveQueueWorker<SenderCommand, ReturnType<typeof createSenderLoop>>(
  self,
  ({ config, databaseFile, signingKey }) => {
    const storage = createStorage(openDatabase(databaseFile, { companion: true }));
    const log = createLogger(parseLevel(config.log));
    const loop = createSenderLoop({
      serverName: config.server_name,
      queueLimits: { maxAgeMs: config.federation_queue_max_age * 1000, maxItems: config.federation_queue_max_size },
      queue: storage.federationQueue,
      client: withFailureLog(createOutboundClient(config, signingKey, systemClock), log, systemClock),
      clock: systemClock,
      log,
      emit: (event: SenderEvent) => self.postMessage(event),
    });
    loop.wake([]); // resume whatever was queued before a restart
    return { loop, close: () => storage.close() };
  },
  (loop, command) => {
    if (command.type === "wake") loop.wake(command.destinations);
    else loop.contact(command.destination);
  },
);

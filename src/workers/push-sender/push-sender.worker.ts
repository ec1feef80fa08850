/**
 * Worker entry of the push sender: opens its own connection to the database (WAL lets it write
 * beside the main thread), builds the guarded HTTPS client, and runs the delivery loop on the
 * commands the main thread posts.
 */
import { createGuardedHttp } from "../../net";
import { systemClock } from "../../runtime/clock";
import { createLogger, parseLevel } from "../../runtime/logger";
import { serveQueueWorker } from "../../runtime/queue-worker";
import { createStorage, openDatabase } from "../../storage";
import { createPushLoop } from "./push-loop";
import type { PushSenderCommand, PushSenderEvent } from "./protocol";

declare const self: Worker;

serveQueueWorker<PushSenderCommand, ReturnType<typeof createPushLoop>>(
  self,
  ({ config, databaseFile }) => {
    const storage = createStorage(openDatabase(databaseFile, { companion: true }));
    const loop = createPushLoop({
      queue: storage.pushQueue,
      pushers: storage.pushers,
      http: createGuardedHttp(config),
      clock: systemClock,
      log: createLogger(parseLevel(config.log)),
      emit: (event: PushSenderEvent) => self.postMessage(event),
    });
    loop.wake([]); // resume whatever was queued before a restart
    return { loop, close: () => storage.close() };
  },
  (loop, command) => loop.wake(command.pushers),
);

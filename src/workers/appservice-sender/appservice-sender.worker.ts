/**
 * Worker entry of the appservice sender: opens its own connection to the database (WAL lets it
 * write beside the main thread) and runs the delivery loop on the commands the main thread posts.
 */
import { systemClock } from "../../runtime/clock";
import { createLogger, parseLevel } from "../../runtime/logger";
import { serveQueueWorker } from "../../runtime/queue-worker";
import { createStorage, openDatabase } from "../../storage";
import { createAppserviceLoop, type AppserviceLoop } from "./sender-loop";
import type { AppserviceSenderCommand, AppserviceSenderEvent } from "./protocol";

declare const self: Worker;

serveQueueWorker<AppserviceSenderCommand, AppserviceLoop>(
  self,
  ({ config, databaseFile, registrations }) => {
    const storage = createStorage(openDatabase(databaseFile, { companion: true }));
    const loop = createAppserviceLoop(
      {
        queue: storage.appserviceQueue,
        clock: systemClock,
        log: createLogger(parseLevel(config.log)),
        emit: (event: AppserviceSenderEvent) => self.postMessage(event),
        allowInvalidCertificates: config.allow_invalid_tls_certificates,
      },
      registrations,
    );
    loop.wake([]); // resume whatever was queued before a restart
    return { loop, close: () => storage.close() };
  },
  (loop, command) => {
    if (command.type === "wake") loop.wake(command.appservices);
    else loop.setRegistrations(command.registrations);
  },
);

/**
 * Worker entry of the push sender: opens its own connection to the database (WAL lets it write
 * beside the main thread), builds the guarded HTTPS client, and runs the delivery loop on the
 * commands the main thread posts.
 */
import { createGuardedHttp } from "../../net";
import { systemClock } from "../../runtime/clock";
import { createLogger, parseLevel } from "../../runtime/logger";
import { createStorage, openDatabase } from "../../storage";
import { createPushLoop } from "./push-loop";
import type { PushSenderCommand, PushSenderEvent } from "./protocol";

declare const self: Worker;

const emit = (event: PushSenderEvent) => self.postMessage(event);
let loop: ReturnType<typeof createPushLoop> | undefined;
let close = () => {};

self.onmessage = (message: MessageEvent<PushSenderCommand>) => {
  const command = message.data;
  switch (command.type) {
    case "start": {
      const { config, databaseFile } = command;
      const storage = createStorage(openDatabase(databaseFile, { companion: true }));
      loop = createPushLoop({
        queue: storage.pushQueue,
        pushers: storage.pushers,
        http: createGuardedHttp(config),
        clock: systemClock,
        log: createLogger(parseLevel(config.log)),
        emit,
      });
      close = () => storage.close();
      emit({ type: "started" });
      loop.wake([]); // resume whatever was queued before a restart
      break;
    }
    case "wake":
      loop?.wake(command.pushers);
      break;
    case "stop":
      loop?.stop();
      close();
      emit({ type: "stopped" });
      break;
  }
};

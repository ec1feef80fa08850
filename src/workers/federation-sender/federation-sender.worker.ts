/**
 * Worker entry of the federation sender: opens its own connection to the database (WAL lets it
 * write beside the main thread), builds the signing HTTPS client, and runs the delivery loop on
 * the commands the main thread posts.
 */
import { createOutboundClient } from "../../net";
import { systemClock } from "../../runtime/clock";
import { createLogger, parseLevel } from "../../runtime/logger";
import { createStorage, openDatabase } from "../../storage";
import { createSenderLoop } from "./sender-loop";
import type { SenderCommand, SenderEvent } from "./protocol";

declare const self: Worker;

const emit = (event: SenderEvent) => self.postMessage(event);
let loop: ReturnType<typeof createSenderLoop> | undefined;
let close = () => {};

self.onmessage = (message: MessageEvent<SenderCommand>) => {
  const command = message.data;
  switch (command.type) {
    case "start": {
      const { config, databaseFile, signingKey } = command;
      const storage = createStorage(openDatabase(databaseFile, { companion: true }));
      loop = createSenderLoop({
        serverName: config.server_name,
        queue: storage.federationQueue,
        client: createOutboundClient(config, signingKey, systemClock),
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
      loop?.wake(command.destinations);
      break;
    case "contact":
      loop?.contact(command.destination);
      break;
    case "stop":
      loop?.stop();
      close();
      emit({ type: "stopped" });
      break;
  }
};

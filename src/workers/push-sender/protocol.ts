/**
 * Messages between the main thread and the push sender worker. The main thread only says "there
 * is work" after committing queue rows; the worker reports each delivery, retry and drop.
 */
import type { Config } from "../../config";

export type PushSenderCommand =
  | { type: "start"; config: Config; databaseFile: string }
  /** New pushes were committed for these pushers. */
  | { type: "wake"; pushers: number[] }
  | { type: "stop" };

export type PushSenderEvent =
  | { type: "started" }
  | { type: "sent"; pusherId: number; eventId: string | undefined }
  | { type: "failed"; pusherId: number; failures: number; retryInMs: number; error: string }
  /** The push was given up: the gateway refused it for good, or it waited too long. */
  | { type: "dropped"; pusherId: number; eventId: string | undefined; reason: string }
  /** The gateway rejected the pushkey: the pusher was removed. */
  | { type: "rejected"; pusherId: number; userId: string; appId: string; pushkey: string }
  | { type: "stopped" };

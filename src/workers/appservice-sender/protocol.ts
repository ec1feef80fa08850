/**
 * Messages between the main thread and the appservice sender worker. The main thread says "there
 * is work" after committing queue rows, and hands over the registrations whenever the registry
 * changes; the worker reports each accepted transaction and each failure it will retry.
 */
import type { Config } from "../../config";
import type { Registration } from "../../core";

export type AppserviceSenderCommand =
  | { type: "start"; config: Config; databaseFile: string; registrations: Registration[] }
  /** New rows were committed for these appservices (or their backoff was reset: send now). */
  | { type: "wake"; appservices: string[] }
  /** The registry changed: these are every appservice now. */
  | { type: "registrations"; registrations: Registration[] }
  | { type: "stop" };

export type AppserviceSenderEvent =
  | { type: "started" }
  | { type: "sent"; appserviceId: string; txnId: string; items: number }
  | { type: "failed"; appserviceId: string; txnId: string; failures: number; retryInMs: number; error: string }
  | { type: "stopped" };

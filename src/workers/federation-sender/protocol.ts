/**
 * Messages between the main thread and the federation sender worker. The main thread only says
 * "there is work" (after committing queue rows) or "this server contacted us"; the worker reports
 * what it delivered or why it will retry later.
 */
import type { Config } from "../../config";
import type { SigningKey } from "../../core";

export type SenderCommand =
  /** The signing key comes from the main thread, which loaded (or created) it at start. */
  | { type: "start"; config: Config; databaseFile: string; signingKey: SigningKey }
  /** New rows were committed for these destinations. */
  | { type: "wake"; destinations: string[] }
  /** The destination just sent us a request: it is up, so retry it now. */
  | { type: "contact"; destination: string }
  | { type: "stop" };

export type SenderEvent =
  | { type: "started" }
  | { type: "sent"; destination: string; txnId: string; pdus: number; edus: number }
  | { type: "failed"; destination: string; txnId: string; failures: number; retryInMs: number; error: string }
  /** The destination refused one item for good (a 4xx it would answer again): it was left out. */
  | { type: "dropped"; destination: string; txnId: string; item: string; error: string }
  /** A destination failing for long: its oldest queued items were dropped (age and size bounds). */
  | { type: "trimmed"; destination: string; dropped: number; failures: number }
  | { type: "stopped" };

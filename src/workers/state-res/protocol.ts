/**
 * Messages between the state resolution pool (main thread) and its workers. A job streams its
 * events in chunks (JSON text: cloning a string is a copy, cloning 100k objects stalls the sender
 * for hundreds of milliseconds), then asks for the resolution; the worker answers once per job.
 */

/** Main thread to worker. */
export type ToStateResWorker =
  /** `[event id, event]` pairs as JSON. */
  | { kind: "events"; jobId: number; events: string }
  /** `stateSets` as JSON (`string[][]`). */
  | { kind: "resolve"; jobId: number; roomVersion: string; stateSets: string }
  /** The job is abandoned; free its events. */
  | { kind: "discard"; jobId: number };

/** Worker to main thread. */
export type FromStateResWorker =
  /** `state` as JSON (`string[]`). */
  | { kind: "resolved"; jobId: number; state: string }
  | { kind: "failed"; jobId: number; error: string };

/**
 * The main thread's handle on a worker that drains durable queues (the federation sender, the
 * push sender): the thread starts only when there is something to send, so an idle server keeps
 * none (each costs several MB); wakes name the keys that got rows and are posted once the
 * current synchronous work (the caller's transaction) is done; stopping waits for the worker to
 * say it stopped, or gives up after a while. What it does not send stays queued.
 */

export interface QueueWorkerOptions<Key, Event extends { type: string }> {
  /** Starts the thread; undefined when this process sends nothing (rows stay queued). */
  start: (() => Worker) | undefined;
  /** The first message a new thread gets. */
  startCommand: () => unknown;
  /** Tells a running thread that these keys have new rows. */
  wakeCommand: (keys: Key[]) => unknown;
  stopCommand: unknown;
  /** Told every event the thread posts. */
  onEvent: (event: Event) => void;
  onError: (message: string) => void;
}

const STOP_TIMEOUT_MS = 5_000;

export function createQueueWorker<Key, Event extends { type: string }>(opts: QueueWorkerOptions<Key, Event>) {
  let worker: Worker | undefined;
  let stopping = false;
  let pendingWake: Set<Key> | undefined;

  /** Starts the thread unless it runs (or was stopped); a new thread looks at every queue itself. */
  function ensure(): void {
    if (worker || stopping || !opts.start) return;
    worker = opts.start();
    worker.addEventListener("message", (m: MessageEvent<Event>) => opts.onEvent(m.data));
    worker.addEventListener("error", (e) => opts.onError(e.message));
    worker.postMessage(opts.startCommand());
  }

  return {
    ensure,
    /** Posts to the thread if it runs (nothing to say to one that does not). */
    post(command: unknown): void {
      worker?.postMessage(command);
    },
    /** Wakes the thread for `keys` after the current synchronous work, starting it if need be. */
    wakeLater(keys: Iterable<Key>): void {
      if (!pendingWake) {
        pendingWake = new Set();
        queueMicrotask(() => {
          const woken = [...pendingWake!];
          pendingWake = undefined;
          if (woken.length === 0) return;
          if (worker) worker.postMessage(opts.wakeCommand(woken));
          else ensure();
        });
      }
      for (const key of keys) pendingWake.add(key);
    },
    /** Asks the thread to stop and close its connection, then ends it. */
    async stop(): Promise<void> {
      stopping = true;
      const running = worker;
      if (!running) return;
      const stopped = new Promise<void>((resolve) => {
        running.addEventListener("message", (m: MessageEvent<Event>) => m.data.type === "stopped" && resolve());
        setTimeout(resolve, STOP_TIMEOUT_MS).unref();
      });
      running.postMessage(opts.stopCommand);
      worker = undefined; // later rows stay queued for the next start
      await stopped;
      running.terminate();
    },
  };
}

/** What a queue worker's thread runs: its delivery loop and the connection it opened. */
export interface QueueWorkerRun<Loop> {
  loop: Loop;
  close(): void;
}

/**
 * The thread side of `createQueueWorker`: "start" builds the loop (and resumes what waits from
 * before), "stop" stops it (waiting for what it says is still finishing) and closes its
 * connection, each answered with "started" / "stopped"; every other command goes to `handle`.
 */
export function serveQueueWorker<Command extends { type: string }, Loop extends { stop(): void | Promise<void> }>(
  self: Worker,
  start: (command: Extract<Command, { type: "start" }>) => QueueWorkerRun<Loop>,
  handle: (loop: Loop, command: Exclude<Command, { type: "start" | "stop" }>) => void,
): void {
  let run: QueueWorkerRun<Loop> | undefined;
  self.onmessage = async (message: MessageEvent<Command>) => {
    const command = message.data;
    if (command.type === "start") {
      run = start(command as Extract<Command, { type: "start" }>);
      self.postMessage({ type: "started" });
    } else if (command.type === "stop") {
      await run?.loop.stop();
      run?.close();
      self.postMessage({ type: "stopped" });
    } else if (run) {
      handle(run.loop, command as Exclude<Command, { type: "start" | "stop" }>);
    }
  };
}

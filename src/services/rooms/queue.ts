/**
 * Serialises writes per room so that each room's events form one linear DAG, while different rooms
 * proceed side by side. Synchronous tasks that are waiting when the queue drains run together in
 * ONE database transaction (one fsync for many sends: group commit). A task must refuse (throw a
 * refusal, e.g. an auth failure) before it writes or touches any in-memory view, so a refused event
 * leaves its neighbours in the batch untouched; any other failure rolls the batch back and its
 * tasks are retried one by one, so only the task at fault fails. Asynchronous tasks (which
 * federation needs, e.g. to resolve state in a worker) hold their room alone until they settle.
 */

export interface TaskContext {
  /** Runs after the transaction holding this task has committed (e.g. waking /sync). */
  afterCommit(fn: () => void): void;
}

type SyncTask<R> = (ctx: TaskContext) => R;
type AsyncTask<R> = () => Promise<R>;

interface Item {
  kind: "sync" | "async";
  run: SyncTask<unknown> | AsyncTask<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

interface RoomLane {
  pending: Item[];
  /** An async task is in flight: nothing else of this room may start. */
  busy: boolean;
}

export interface RoomQueueDeps {
  /** Runs `fn` in a transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T;
  /** Called when a transaction rolled back, so in-memory views of the database are dropped. */
  onRollback(): void;
  /** A refusal (e.g. an auth failure) is thrown before a task writes or caches anything. */
  isRefusal(error: unknown): boolean;
}

export interface RoomQueue {
  /** Queues a synchronous write to `roomId`; it may share its transaction with other rooms' writes. */
  run<R>(roomId: string, task: SyncTask<R>): Promise<R>;
  /** Queues an asynchronous job that has `roomId` to itself until it settles. */
  runExclusive<R>(roomId: string, task: AsyncTask<R>): Promise<R>;
  /** Rooms with writes waiting or in flight, and the writes waiting (for metrics). */
  depth(): { rooms: number; waiting: number };
}

export function createRoomQueue(deps: RoomQueueDeps): RoomQueue {
  const lanes = new Map<string, RoomLane>();
  let flushScheduled = false;

  const schedule = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(flush);
  };

  const push = (roomId: string, item: Item) => {
    let lane = lanes.get(roomId);
    if (!lane) lanes.set(roomId, (lane = { pending: [], busy: false }));
    lane.pending.push(item);
    schedule();
  };

  function flush(): void {
    flushScheduled = false;
    const batch: Item[] = [];
    const asyncReady: Array<[string, RoomLane]> = [];
    for (const [roomId, lane] of lanes) {
      if (lane.busy) continue;
      // The room's leading synchronous tasks join this flush's transaction, in order.
      let n = 0;
      while (n < lane.pending.length && lane.pending[n]!.kind === "sync") n++;
      batch.push(...lane.pending.splice(0, n));
      if (lane.pending.length > 0) asyncReady.push([roomId, lane]);
      else lanes.delete(roomId);
    }
    if (batch.length > 0) runBatch(batch);
    // An async task starts only once the writes queued before it have committed.
    for (const [roomId, lane] of asyncReady) startAsync(roomId, lane, lane.pending.shift()!);
  }

  function startAsync(roomId: string, lane: RoomLane, item: Item): void {
    lane.busy = true;
    (item.run as AsyncTask<unknown>)()
      .then(item.resolve, item.reject)
      .finally(() => {
        lane.busy = false;
        if (lane.pending.length > 0) schedule();
        else lanes.delete(roomId);
      });
  }

  function runBatch(items: Item[]): void {
    const after: Array<() => void> = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      deps.transaction(() => {
        for (const item of items) {
          try {
            outcomes.push({ ok: true, value: (item.run as SyncTask<unknown>)({ afterCommit: (fn) => after.push(fn) }) });
          } catch (error) {
            // A refusal wrote nothing; anything else may have, so the whole batch must roll back.
            if (!deps.isRefusal(error)) throw error;
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      deps.onRollback();
      // Nothing of the batch is stored. Retry each task on its own, so only the one at fault fails.
      if (items.length > 1) {
        for (const item of items) runBatch([item]);
        return;
      }
      items[0]!.reject(error);
      return;
    }
    for (const fn of after) fn();
    items.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  return {
    run<R>(roomId: string, task: SyncTask<R>): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        push(roomId, { kind: "sync", run: task, resolve: resolve as (v: unknown) => void, reject });
      });
    },
    runExclusive<R>(roomId: string, task: AsyncTask<R>): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        push(roomId, { kind: "async", run: task, resolve: resolve as (v: unknown) => void, reject });
      });
    },
    depth() {
      let waiting = 0;
      for (const lane of lanes.values()) waiting += lane.pending.length;
      return { rooms: lanes.size, waiting };
    },
  };
}

/**
 * Where pushes wait for their gateways. main.ts passes the push sender worker's side
 * (`workers/push-sender/sender.ts`); the queue rows are written in the caller's transaction, so
 * nothing is lost, and the worker delivers them after the commit.
 */
export interface PushDelivery {
  /** Pushes for these pushers were queued in the current transaction: deliver them once it commits. */
  wakeLater(pusherIds: Iterable<number>): void;
  /** Subscribes to pushers the worker removed because their gateway rejected the pushkey. */
  onPusherRemoved(listener: (userId: string) => void): () => void;
}

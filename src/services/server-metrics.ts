/**
 * The server's gauges for `/metrics`, each read at scrape time from where the figure lives: sync
 * long-polls parked in the notifier, writes waiting in the room queues, the durable outboxes
 * (federation per destination, appservices, pushes), how busy the worker pools have been, the
 * database's size and the process's memory.
 */
import type { BusyMeter } from "../runtime/busy-meter";
import type { Metrics } from "../runtime/metrics";
import type { Storage } from "../storage";
import type { Services } from ".";

export interface ServerMetricsDeps {
  services: Services;
  storage: Storage;
  /** The worker pools by name (`state_res`, `pdu_check`). */
  pools: Record<string, BusyMeter>;
}

export function registerServerGauges(metrics: Metrics, { services, storage, pools }: ServerMetricsDeps): void {
  metrics.gauge("conduit_sync_waiters", "Long-polling /sync requests waiting for news.", () => services.sync.notifier.waiting());
  metrics.gauge("conduit_room_queue_rooms", "Rooms with writes waiting or in flight.", () => services.rooms.queue.depth().rooms);
  metrics.gauge("conduit_room_queue_waiting", "Writes waiting in the per-room queues.", () => services.rooms.queue.depth().waiting);
  metrics.gauge("conduit_federation_queue_items", "Items waiting to be sent, per destination server.", () =>
    storage.federationQueue.depths().map((d) => [{ destination: d.destination }, d.items] as const),
  );
  metrics.gauge("conduit_appservice_queue_items", "Items waiting to be sent, per appservice.", () =>
    services.appservices.registry.list().map((as) => [{ appservice: as.id }, storage.appserviceQueue.depth(as.id)] as const),
  );
  metrics.gauge("conduit_push_queue_items", "Pushes waiting for their gateway.", () => storage.pushQueue.size());
  metrics.gauge("conduit_worker_jobs_in_flight", "Jobs running in a worker pool.", () =>
    Object.entries(pools).map(([pool, meter]) => [{ pool }, meter.inFlight()] as const),
  );
  metrics.gauge(
    "conduit_worker_busy_seconds_total",
    "Seconds during which a worker pool had a job running.",
    () => Object.entries(pools).map(([pool, meter]) => [{ pool }, meter.busySeconds()] as const),
    "counter",
  );
  metrics.gauge("conduit_database_bytes", "Size of the database file.", () => storage.maintenance.size().bytes);
  metrics.gauge("conduit_process_resident_memory_bytes", "Resident memory of the process.", () => process.memoryUsage().rss);
  metrics.gauge("conduit_process_heap_bytes", "JavaScript heap in use.", () => process.memoryUsage().heapUsed);
}

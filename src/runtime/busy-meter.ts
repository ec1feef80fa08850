/**
 * How busy a pool of workers is: jobs in flight now, and the seconds during which at least one job
 * was in flight (a counter; its rate over a minute is the share of that minute the pool worked).
 */
export interface BusyMeter {
  /** A job started; call the returned function once when it ends, however it ends. */
  start(): () => void;
  inFlight(): number;
  busySeconds(): number;
}

export function createBusyMeter(now: () => number = () => performance.now()): BusyMeter {
  let inFlight = 0;
  let busyMs = 0;
  let since = 0;
  return {
    start() {
      if (inFlight++ === 0) since = now();
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        if (--inFlight === 0) busyMs += now() - since;
      };
    },
    inFlight: () => inFlight,
    busySeconds: () => (busyMs + (inFlight > 0 ? now() - since : 0)) / 1000,
  };
}

/**
 * Step 3 of state res v2: ordering the remaining events by mainline position relative to the
 * resolved power levels event, then by `origin_server_ts`, then by event id.
 */
import type { EventIndex } from "./event-index.ts";
import { comesFirstByTimeAndId } from "./power-ordering.ts";

/**
 * The mainline is the resolved power levels event and its chain of power levels auth events.
 * Positions count from the oldest (1) to the resolved one; an event whose power levels ancestry
 * never meets the mainline gets 0 and sorts first, as the spec's "infinite" position does.
 */
export function mainlineSort(index: EventIndex, events: readonly number[], powerLevels: number | undefined): number[] {
  if (events.length === 0) return [];
  const chain: number[] = [];
  const onChain = new Set<number>();
  for (let event = powerLevels ?? -1; event >= 0 && !onChain.has(event); event = index.authEventOfType(event, "m.room.power_levels")) {
    chain.push(event);
    onChain.add(event);
  }
  // position[e] for mainline events and, memoised, for every power levels event walked through.
  const position = new Map<number, number>();
  chain.forEach((event, i) => position.set(event, chain.length - i));

  const positionOf = (start: number): number => {
    const walked: number[] = [];
    let event = start;
    let found = 0;
    const seen = new Set<number>();
    while (event >= 0 && !seen.has(event)) {
      const known = position.get(event);
      if (known !== undefined) {
        found = known;
        break;
      }
      seen.add(event);
      walked.push(event);
      event = index.authEventOfType(event, "m.room.power_levels");
    }
    // Every power levels event on the way shares the answer (the start may be any event).
    for (const visited of walked) if (index.events[visited]!.type === "m.room.power_levels") position.set(visited, found);
    return found;
  };

  const positions = new Map<number, number>();
  for (const event of events) positions.set(event, positionOf(event));
  return [...events].sort((a, b) => {
    const positionA = positions.get(a)!;
    const positionB = positions.get(b)!;
    if (positionA !== positionB) return positionA - positionB;
    return comesFirstByTimeAndId(index, a, b) ? -1 : 1;
  });
}

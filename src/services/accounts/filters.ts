/**
 * Filters (spec "Filtering"): clients upload a filter once and name it by id, or pass it inline to
 * `/sync`. Compiled filters are cached, since a long-polling client sends the same one every time.
 */
import { checkFilter, compileFilter, type CompiledFilter, type FilterJson } from "../../core/filter";
import type { Storage } from "../../storage";
import { badJson, forbidden, invalidParam, notFound, notJson } from "../matrix-error";
import type { Requester } from "./access-tokens";

const cacheLimit = 1_000;

function checked(json: unknown): FilterJson {
  const result = checkFilter(json);
  if (!result.ok) throw badJson(`Invalid filter: ${result.error}`);
  return result.filter;
}

function ownUser(requester: Requester, userId: string, what: string): void {
  if (requester.userId !== userId) throw forbidden(`Cannot ${what} filters for other users`);
}

/** Filter ids are decimal numbers; anything else names no filter. */
function parseFilterId(raw: string): number | undefined {
  return /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}

export function createFiltersService(storage: Storage) {
  const compiled = new Map<string, CompiledFilter>();

  function remember(key: string, filter: CompiledFilter): CompiledFilter {
    if (compiled.size >= cacheLimit) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, filter);
    return filter;
  }

  return {
    createFilter(requester: Requester, userId: string, body: unknown): { filter_id: string } {
      ownUser(requester, userId, "create");
      const filter = checked(body);
      return { filter_id: String(storage.filters.addFilter(userId, JSON.stringify(filter))) };
    },

    getFilter(requester: Requester, userId: string, filterId: string): FilterJson {
      ownUser(requester, userId, "read");
      const id = parseFilterId(filterId);
      const text = id === undefined ? undefined : storage.filters.getFilter(userId, id);
      if (text === undefined) throw notFound("No such filter");
      return JSON.parse(text) as FilterJson;
    },

    /** The `/sync?filter=` parameter: inline JSON when it starts with `{`, else a stored filter id. */
    syncFilter(userId: string, param: string | undefined): CompiledFilter {
      if (param === undefined || param === "") return compileFilter(undefined);
      const key = `${userId}\u0000${param}`;
      const hit = compiled.get(key);
      if (hit) return hit;
      if (param.startsWith("{")) {
        let json: unknown;
        try {
          json = JSON.parse(param);
        } catch {
          throw notJson("The filter parameter is not valid JSON");
        }
        return remember(key, compileFilter(checked(json)));
      }
      const id = parseFilterId(param);
      const text = id === undefined ? undefined : storage.filters.getFilter(userId, id);
      if (text === undefined) throw invalidParam(`Unknown filter '${param}'`);
      return remember(key, compileFilter(JSON.parse(text) as FilterJson));
    },
  };
}
export type FiltersService = ReturnType<typeof createFiltersService>;

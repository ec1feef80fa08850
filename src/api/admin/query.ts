/**
 * Query parameters of the admin API as Synapse reads them: booleans as `true`/`false`, counts as
 * decimal integers. Anything else is a 400 `M_INVALID_PARAM` naming the parameter.
 */
import { invalidParam } from "../../services/matrix-error";

export function boolParam(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw invalidParam(`Query parameter '${name}' must be true or false`);
}

export function intParam(value: string | undefined, name: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw invalidParam(`Query parameter '${name}' must be an integer of at least ${min}`);
  }
  return Number(value);
}

/** One of `choices`, or 400. */
export function choiceParam<C extends string>(value: string | undefined, name: string, choices: readonly C[]): C | undefined {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value)) throw invalidParam(`Query parameter '${name}' must be one of ${choices.join(", ")}`);
  return value as C;
}

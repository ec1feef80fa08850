/**
 * Evaluating push rules against an event (spec "Push Rules", "Conditions"): the first enabled
 * rule, in kind order, whose conditions all hold decides the actions; no match means no
 * notification. Rule sets are compiled once and evaluated for many users: the server-default
 * rules are compiled a single time, with the rules about "me" reading the user from the
 * evaluation, and their conditions that do not depend on the user are decided once per event.
 * Those about "me" can only hold for the users the event names (an invite's target, its mentions),
 * so every other user who changed no rule gets one shared outcome (`usersNamedByEvent`).
 */
import { splitDotPath } from "../dot-path.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../types.ts";
import { compileGlob } from "./glob.ts";
import { predefinedPushRules } from "./predefined-rules.ts";
import type { PushAction, PushCondition, PushRuleKind } from "./push-rule-types.ts";
import { emptyUserPushRules, isScalarPushValue, type UserPushRules } from "./user-push-rules.ts";

/** Facts about the room at the event, the same for every user. */
export interface PushRoomFacts {
  /** Joined members, for `room_member_count`. */
  memberCount: number;
  /** The sender's power level, for `sender_notification_permission`. */
  senderPowerLevel: number;
  /** `notifications` of the room's power levels; a missing key requires 50. */
  notificationLevels: ReadonlyMap<string, number>;
}

/** The user the rules are evaluated for. */
export interface PushUser {
  userId: string;
  /** The user's display name in the room, asked only by `contains_display_name`. */
  displayName?: () => string | undefined;
}

/** What the matched rule asks for. `highlight` only counts when the event notifies. */
export interface PushOutcome {
  kind: PushRuleKind;
  ruleId: string;
  actions: PushAction[];
  notify: boolean;
  highlight: boolean;
  tweaks: JsonObject;
}

/** One event under evaluation: property lookups and user-independent answers are kept for every user. */
export interface PushEventContext {
  readonly event: JsonObject;
  readonly room: PushRoomFacts;
  valueAt(key: string, path: readonly string[]): JsonValue | undefined;
  /** Answers of the shared predefined conditions: 0 unknown, 1 holds, 2 fails. */
  readonly memo: Uint8Array;
}

type Test = (ev: PushEventContext, user: PushUser) => boolean;

interface CompiledCondition {
  test: Test;
  /** Index in `PushEventContext.memo`, or -1 when the answer is not shared between users. */
  slot: number;
}

interface CompiledRule {
  enabled: boolean;
  conditions: CompiledCondition[];
  outcome: PushOutcome;
}

export interface CompiledPushRules {
  readonly rules: readonly CompiledRule[];
}

const never: Test = () => false;

function lookup(event: JsonObject, path: readonly string[]): JsonValue | undefined {
  let value: JsonValue | undefined = event;
  for (const name of path) {
    if (!isJsonObject(value) || !Object.hasOwn(value, name)) return undefined;
    value = value[name];
  }
  return value;
}

export function pushEventContext(event: JsonObject, room: PushRoomFacts): PushEventContext {
  const values = new Map<string, JsonValue | undefined>();
  return {
    event,
    room,
    valueAt(key, path) {
      if (values.has(key)) return values.get(key);
      const value = lookup(event, path);
      values.set(key, value);
      return value;
    },
    memo: new Uint8Array(template.slots),
  };
}

function memberCountTest(is: string): Test {
  const m = /^(==|<=|>=|<|>)?(\d+)$/.exec(is);
  if (!m) return never;
  const n = Number(m[2]);
  switch (m[1] ?? "==") {
    case "<":
      return (ev) => ev.room.memberCount < n;
    case ">":
      return (ev) => ev.room.memberCount > n;
    case "<=":
      return (ev) => ev.room.memberCount <= n;
    case ">=":
      return (ev) => ev.room.memberCount >= n;
    default:
      return (ev) => ev.room.memberCount === n;
  }
}

const BODY_PATH = ["content", "body"];

/**
 * The users a condition about "me" can hold for at an event; undefined when any user may (the
 * display name is the user's own).
 */
type Named = (ev: PushEventContext) => readonly string[] | undefined;

interface Compiled {
  test: Test;
  perUser: boolean;
  named?: Named;
}

/**
 * A condition as a test. `owner` is the placeholder that stands for the evaluated user in the
 * shared predefined rules; such tests depend on the user, like `contains_display_name`.
 */
function compileCondition(c: PushCondition, owner: string | undefined): Compiled {
  const key = typeof c.key === "string" ? c.key : undefined;
  const path = key === undefined ? [] : splitDotPath(key);
  switch (c.kind) {
    case "event_match": {
      if (key === undefined || typeof c.pattern !== "string") return { test: never, perUser: false };
      if (c.pattern === owner) {
        return {
          test: (ev, user) => {
            const v = ev.valueAt(key, path);
            return typeof v === "string" && v.toLowerCase() === user.userId.toLowerCase();
          },
          perUser: true,
          named: (ev) => {
            const v = ev.valueAt(key, path);
            return typeof v === "string" ? [v] : [];
          },
        };
      }
      // Only `content.body` matches word-bounded substrings; every other key the whole value.
      const matches = compileGlob(c.pattern, { words: key === "content.body" });
      return {
        test: (ev) => {
          const v = ev.valueAt(key, path);
          return typeof v === "string" && matches(v);
        },
        perUser: false,
      };
    }
    case "event_property_is": {
      const expected = c.value;
      if (key === undefined || !isScalarPushValue(expected)) return { test: never, perUser: false };
      return { test: (ev) => ev.valueAt(key, path) === expected, perUser: false };
    }
    case "event_property_contains": {
      const expected = c.value;
      if (key === undefined || !isScalarPushValue(expected)) return { test: never, perUser: false };
      if (expected === owner) {
        return {
          test: (ev, user) => {
            const v = ev.valueAt(key, path);
            return Array.isArray(v) && v.includes(user.userId);
          },
          perUser: true,
          named: (ev) => {
            const v = ev.valueAt(key, path);
            return Array.isArray(v) ? v.filter((u): u is string => typeof u === "string") : [];
          },
        };
      }
      return {
        test: (ev) => {
          const v = ev.valueAt(key, path);
          return Array.isArray(v) && v.includes(expected);
        },
        perUser: false,
      };
    }
    case "contains_display_name":
      return {
        test: (ev, user) => {
          const name = user.displayName?.();
          const body = ev.valueAt("content.body", BODY_PATH);
          return !!name && typeof body === "string" && compileGlob(name, { words: true, literal: true })(body);
        },
        perUser: true,
      };
    case "room_member_count":
      return { test: typeof c.is === "string" ? memberCountTest(c.is) : never, perUser: false };
    case "sender_notification_permission": {
      if (key === undefined) return { test: never, perUser: false };
      return { test: (ev) => ev.room.senderPowerLevel >= (ev.room.notificationLevels.get(key) ?? 50), perUser: false };
    }
    default:
      // Unrecognised conditions never match (spec), which disables their rule.
      return { test: never, perUser: false };
  }
}

/** The outcome of a rule's actions: a `highlight` tweak without a value means true. */
export function outcomeOf(kind: PushRuleKind, ruleId: string, actions: readonly PushAction[]): PushOutcome {
  const tweaks: JsonObject = {};
  let notify = false;
  for (const action of actions) {
    if (action === "notify") notify = true;
    else if (typeof action === "object" && typeof action.set_tweak === "string") {
      tweaks[action.set_tweak] = action.value === undefined ? (action.set_tweak === "highlight" ? true : null) : action.value;
    }
  }
  const cleaned = actions.filter((a) => a !== "dont_notify" && a !== "coalesce");
  return { kind, ruleId, actions: cleaned, notify, highlight: notify && tweaks.highlight === true, tweaks };
}

/** Rules of each kind as conditions: content, room and sender rules have theirs implied. */
function impliedConditions(kind: PushRuleKind, ruleId: string, pattern: string | undefined): Test[] {
  switch (kind) {
    case "content": {
      const matches = compileGlob(pattern ?? "", { words: true });
      return [
        (ev) => {
          const body = ev.valueAt("content.body", BODY_PATH);
          return typeof body === "string" && matches(body);
        },
      ];
    }
    case "room":
      return [(ev) => ev.event.room_id === ruleId];
    case "sender":
      return [(ev) => ev.event.sender === ruleId];
    default:
      return [];
  }
}

// The predefined rules, compiled once with a placeholder for "the user" (never a valid user id).
const OWNER = "\u0000the evaluated user";
const template = (() => {
  let slots = 0;
  const compiled = new Map<string, CompiledRule>();
  // Who each condition about "me" names (undefined: it cannot tell).
  const namers: (Named | undefined)[] = [];
  const set = predefinedPushRules(OWNER);
  for (const kind of Object.keys(set) as PushRuleKind[]) {
    for (const r of set[kind]) {
      const conditions = (r.conditions ?? []).map((c) => {
        const { test, perUser, named } = compileCondition(c, OWNER);
        if (perUser) namers.push(named);
        return { test, slot: perUser ? -1 : slots++ };
      });
      compiled.set(`${kind}/${r.rule_id}`, { enabled: r.enabled, conditions, outcome: outcomeOf(kind, r.rule_id, r.actions) });
    }
  }
  return { slots, compiled, order: set, namers };
})();

function predefined(kind: PushRuleKind, ruleId: string, rules: UserPushRules): CompiledRule {
  const base = template.compiled.get(`${kind}/${ruleId}`)!;
  const change = rules.defaults[kind]?.[ruleId];
  if (!change) return base;
  return {
    enabled: change.enabled ?? base.enabled,
    conditions: base.conditions,
    outcome: change.actions ? outcomeOf(kind, ruleId, change.actions) : base.outcome,
  };
}

/** Compiles a user's rules (undefined: the user changed nothing) in evaluation order. */
export function compilePushRules(rules: UserPushRules = emptyUserPushRules()): CompiledPushRules {
  const out: CompiledRule[] = [];
  const defaults = (kind: PushRuleKind) => template.order[kind].map((r) => predefined(kind, r.rule_id, rules));
  const custom = (kind: PushRuleKind) =>
    rules.custom[kind].map((r): CompiledRule => {
      const explicit = (r.conditions ?? []).map((c) => compileCondition(c, undefined).test);
      const tests = kind === "override" || kind === "underride" ? explicit : impliedConditions(kind, r.rule_id, r.pattern);
      return { enabled: r.enabled, conditions: tests.map((test) => ({ test, slot: -1 })), outcome: outcomeOf(kind, r.rule_id, r.actions) };
    });
  const [master, ...overrides] = defaults("override");
  out.push(master!, ...custom("override"), ...overrides);
  for (const kind of ["content", "room", "sender", "underride"] as const) out.push(...custom(kind), ...defaults(kind));
  return { rules: out };
}

/** The rules nobody changed, shared by every such user. */
export const DEFAULT_PUSH_RULES: CompiledPushRules = compilePushRules();

/**
 * The users, lowercased, for whom a condition about "me" in the server-default rules may hold at
 * this event (user ids compare without case in `event_match`): any other user evaluates the
 * defaults as a user the event does not name would. Undefined when that cannot be told.
 */
export function usersNamedByEvent(ev: PushEventContext): ReadonlySet<string> | undefined {
  const named = new Set<string>();
  for (const namer of template.namers) {
    const users = namer?.(ev);
    if (users === undefined) return undefined;
    for (const u of users) named.add(u.toLowerCase());
  }
  return named;
}

function holds(c: CompiledCondition, ev: PushEventContext, user: PushUser): boolean {
  if (c.slot < 0) return c.test(ev, user);
  const known = ev.memo[c.slot]!;
  if (known !== 0) return known === 1;
  const result = c.test(ev, user);
  ev.memo[c.slot] = result ? 1 : 2;
  return result;
}

/** The outcome of the first enabled rule that matches, or undefined (nothing to notify). */
export function evaluatePushRules(rules: CompiledPushRules, ev: PushEventContext, user: PushUser): PushOutcome | undefined {
  for (const rule of rules.rules) {
    if (!rule.enabled) continue;
    let matched = true;
    for (const c of rule.conditions) {
      if (!holds(c, ev, user)) {
        matched = false;
        break;
      }
    }
    if (matched) return rule.outcome;
  }
  return undefined;
}

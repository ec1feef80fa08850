/**
 * Push rule management (spec "Push Rules: API") and the compiled rules the write path evaluates.
 * A user's rules are one stored document; every change takes an account-data stream position and
 * wakes the user's /sync, which then carries the full rule set as `m.push_rules`. Compiled rule
 * sets are cached per user (bounded); users who changed nothing share the compiled defaults, and
 * the few who did are known by id, so an event in a big room evaluates only theirs one by one.
 */
import {
  compilePushRules,
  copyRoomPushRules,
  DEFAULT_PUSH_RULES,
  deletePushRule,
  emptyUserPushRules,
  isPushRuleKind,
  isPushRuleProblem,
  parseUserPushRules,
  pushRulesContent,
  putPushRule,
  renderPushRules,
  setPushRuleActions,
  setPushRuleEnabled,
  type CompiledPushRules,
  type JsonObject,
  type PushRule,
  type PushRuleEdit,
  type PushRuleKind,
  type PushRuleProblem,
  type PushRuleSet,
  type UserPushRules,
} from "../../core";
import type { Storage } from "../../storage";
import { createLruMap } from "../../runtime/lru-map";
import { invalidParam, MatrixError, missingParam, notFound } from "../matrix-error";
import type { Notifier } from "../sync/notifier";

/** Compiled rule sets kept in memory; an evicted one is compiled again on its next event. */
const COMPILED_CACHE_ENTRIES = 10_000;

export type RuleAttribute = "actions" | "enabled";

function errorOf(p: PushRuleProblem): MatrixError {
  if (p.problem === "not_found") return notFound(p.message);
  return p.problem === "missing" ? missingParam(p.message) : invalidParam(p.message);
}

/** Path parameters: the only scope is `global`; the kind must be one of the five. */
export function ruleKind(scope: string, kind: string): PushRuleKind {
  if (scope !== "global") throw invalidParam(`Unknown push rule scope '${scope}': only 'global' exists`);
  if (!isPushRuleKind(kind)) throw invalidParam(`Unknown push rule kind '${kind}'`);
  return kind;
}

export function createPushRulesService(deps: { storage: Storage; notifier: Notifier }) {
  const { storage, notifier } = deps;
  const compiled = createLruMap<string, CompiledPushRules>({ maxEntries: COMPILED_CACHE_ENTRIES });
  // Users with stored rules, read on the first event that asks (not at startup).
  let customised: Set<string> | undefined;

  function stored(userId: string): UserPushRules | undefined {
    const row = storage.pushRules.get(userId);
    return row ? parseUserPushRules(row.rules) : undefined;
  }

  function ruleSet(userId: string): PushRuleSet {
    return renderPushRules(userId, stored(userId));
  }

  function find(userId: string, kind: PushRuleKind, ruleId: string): PushRule {
    const rule = ruleSet(userId)[kind].find((r) => r.rule_id === ruleId);
    if (!rule) throw notFound(`No ${kind} push rule ${ruleId}`);
    return rule;
  }

  /** Applies an edit to the user's stored rules, atomically with the read it started from. */
  function edit(userId: string, change: (rules: UserPushRules) => PushRuleEdit): void {
    storage.transaction(() => {
      const result = change(stored(userId) ?? emptyUserPushRules());
      if (isPushRuleProblem(result)) throw errorOf(result);
      storage.pushRules.put(userId, JSON.stringify(result.rules));
    });
    customised?.add(userId);
    compiled.delete(userId);
    notifier.wakeUsers([userId]);
  }

  return {
    /** GET /pushrules/ (`global` wraps the rule set) and GET /pushrules/global/ */
    ruleSet,

    /** GET /pushrules/global/{kind}/{ruleId} */
    getRule(userId: string, kind: PushRuleKind, ruleId: string): PushRule {
      return find(userId, kind, ruleId);
    },

    /** GET /pushrules/global/{kind}/{ruleId}/{enabled|actions} */
    getAttribute(userId: string, kind: PushRuleKind, ruleId: string, attribute: RuleAttribute): JsonObject {
      const rule = find(userId, kind, ruleId);
      return attribute === "enabled" ? { enabled: rule.enabled } : { actions: rule.actions };
    },

    /** PUT /pushrules/global/{kind}/{ruleId} */
    putRule(userId: string, kind: PushRuleKind, ruleId: string, body: unknown, place: { before?: string; after?: string }): void {
      edit(userId, (rules) => putPushRule(rules, kind, ruleId, body, place));
    },

    /** DELETE /pushrules/global/{kind}/{ruleId} */
    deleteRule(userId: string, kind: PushRuleKind, ruleId: string): void {
      edit(userId, (rules) => deletePushRule(rules, kind, ruleId));
    },

    /** PUT /pushrules/global/{kind}/{ruleId}/{enabled|actions} */
    setAttribute(userId: string, kind: PushRuleKind, ruleId: string, attribute: RuleAttribute, body: unknown): void {
      const value = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as JsonObject)[attribute] : undefined;
      edit(userId, (rules) =>
        attribute === "enabled" ? setPushRuleEnabled(rules, kind, ruleId, value) : setPushRuleActions(rules, kind, ruleId, value),
      );
    },

    /** A room upgrade: the user's rules for `from` are copied for `to` (see `copyRoomPushRules`). */
    copyForRoom(userId: string, from: string, to: string): void {
      const current = stored(userId);
      if (current && copyRoomPushRules(current, from, to)) edit(userId, (rules) => ({ rules: copyRoomPushRules(rules, from, to) ?? rules }));
    },

    /**
     * The users whose rules may not be the server defaults (every other user's are). A user whose
     * rules were deleted may stay in it: they are then evaluated one by one, as the defaults.
     */
    customised(): ReadonlySet<string> {
      customised ??= new Set(storage.pushRules.users());
      return customised;
    },

    /** The rules to evaluate events with for `userId`. */
    compiledFor(userId: string): CompiledPushRules {
      const cached = compiled.get(userId);
      if (cached) return cached;
      const rules = stored(userId);
      const result = rules ? compilePushRules(rules) : DEFAULT_PUSH_RULES;
      compiled.set(userId, result);
      return result;
    },

    /**
     * The `m.push_rules` account data event for /sync: always in an initial sync (no `since`),
     * otherwise only when the rules changed in (since, to].
     */
    accountDataEvent(userId: string, since: number | undefined, to: number): { type: "m.push_rules"; content: JsonObject } | undefined {
      const row = storage.pushRules.get(userId);
      if (since !== undefined && (!row || row.stream_id <= since || row.stream_id > to)) return undefined;
      return { type: "m.push_rules", content: pushRulesContent(userId, row ? parseUserPushRules(row.rules) : undefined) };
    },

    /** Deactivation: the user's rules go. */
    forget(userId: string): void {
      storage.pushRules.delete(userId);
      compiled.delete(userId);
    },
  };
}
export type PushRulesService = ReturnType<typeof createPushRulesService>;

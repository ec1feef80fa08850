/**
 * A user's push rules as the server keeps them: the rules the user defined, per kind in priority
 * order, plus what the user changed of the server-default rules (enabled, actions). Every edit of
 * the rule management API (spec "Push Rules: API") is a pure function here that returns the new
 * value or why the request is refused; `renderPushRules` gives the full rule set clients see.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../types.ts";
import { isPredefinedRule, isServerDefaultRuleId, predefinedPushRules } from "./predefined-rules.ts";
import { PUSH_RULE_KINDS, type PushAction, type PushCondition, type PushRule, type PushRuleKind, type PushRuleSet } from "./push-rule-types.ts";

/** A rule the user defined (never `default`). */
export interface CustomPushRule {
  rule_id: string;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

/** What the user changed of one server-default rule. */
export interface DefaultRuleChange {
  enabled?: boolean;
  actions?: PushAction[];
}

export interface UserPushRules {
  custom: Record<PushRuleKind, CustomPushRule[]>;
  defaults: Partial<Record<PushRuleKind, Record<string, DefaultRuleChange>>>;
}

/** Why an edit is refused: `not_found` is a 404, the others a 400. */
export interface PushRuleProblem {
  problem: "not_found" | "invalid" | "missing";
  message: string;
}

export type PushRuleEdit = { rules: UserPushRules } | PushRuleProblem;

export function isPushRuleProblem(value: unknown): value is PushRuleProblem {
  return isJsonObject(value) && typeof value.problem === "string";
}

const problem = (kind: PushRuleProblem["problem"], message: string): PushRuleProblem => ({ problem: kind, message });

export function emptyUserPushRules(): UserPushRules {
  return { custom: { override: [], content: [], room: [], sender: [], underride: [] }, defaults: {} };
}

/** Reads the stored form back (written by this module, so only its shape is checked). */
export function parseUserPushRules(json: string): UserPushRules {
  const value: unknown = JSON.parse(json);
  const out = emptyUserPushRules();
  if (!isJsonObject(value)) return out;
  const custom = isJsonObject(value.custom) ? value.custom : {};
  for (const kind of PUSH_RULE_KINDS) {
    const list = custom[kind];
    if (Array.isArray(list)) out.custom[kind] = list.filter(isJsonObject) as unknown as CustomPushRule[];
  }
  if (isJsonObject(value.defaults)) out.defaults = value.defaults as UserPushRules["defaults"];
  return out;
}

// ---- validation of what clients send ----

/**
 * Actions a client may set. The historical `dont_notify` and `coalesce` are kept as given (clients
 * read back what they set, as from Synapse) and ignored when rules are evaluated (spec "Historical
 * Actions").
 */
export function checkActions(raw: unknown): PushAction[] | PushRuleProblem {
  if (raw === undefined) return problem("missing", "Missing 'actions'");
  if (!Array.isArray(raw)) return problem("invalid", "'actions' must be an array");
  const actions: PushAction[] = [];
  for (const action of raw as JsonValue[]) {
    if (action === "notify" || action === "dont_notify" || action === "coalesce") actions.push(action);
    else if (isJsonObject(action) && typeof action.set_tweak === "string") actions.push(action);
    else return problem("invalid", `Unrecognised action: ${JSON.stringify(action)}`);
  }
  return actions;
}

const MEMBER_COUNT = /^(==|<=|>=|<|>)?(\d+)$/;

/** Whether a value may be compared by `event_property_is` / `_contains`: a non-compound canonical JSON value. */
export function isScalarPushValue(value: unknown): value is string | number | boolean | null {
  return value === null || typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isSafeInteger(value));
}

/** Checks one condition: known kinds need their parameters; unknown kinds are kept (they never match). */
function checkCondition(raw: JsonValue): PushCondition | PushRuleProblem {
  if (!isJsonObject(raw) || typeof raw.kind !== "string") return problem("invalid", "Each condition must be an object with a string 'kind'");
  const c = raw as PushCondition;
  const needString = (field: "key" | "pattern" | "is") =>
    typeof c[field] === "string" ? undefined : problem("invalid", `${c.kind} condition needs a string '${field}'`);
  switch (c.kind) {
    case "event_match":
      return needString("key") ?? needString("pattern") ?? c;
    case "event_property_is":
    case "event_property_contains":
      return needString("key") ?? (isScalarPushValue(c.value) ? c : problem("invalid", `${c.kind} condition needs a string, integer, boolean or null 'value'`));
    case "room_member_count":
      return needString("is") ?? (MEMBER_COUNT.test(c.is!) ? c : problem("invalid", `room_member_count 'is' must be a number with an optional ==, <, >, <= or >=`));
    case "sender_notification_permission":
      return needString("key") ?? c;
    default:
      return c;
  }
}

function checkConditions(raw: unknown): PushCondition[] | PushRuleProblem {
  if (raw === undefined) return problem("missing", "Missing 'conditions'");
  if (!Array.isArray(raw)) return problem("invalid", "'conditions' must be an array");
  const out: PushCondition[] = [];
  for (const c of raw as JsonValue[]) {
    const checked = checkCondition(c);
    if (isPushRuleProblem(checked)) return checked;
    out.push(checked);
  }
  return out;
}

function checkRuleId(ruleId: string): PushRuleProblem | undefined {
  if (ruleId === "") return problem("invalid", "The rule id is empty");
  if (isServerDefaultRuleId(ruleId)) return problem("invalid", "Rule ids starting with '.' are reserved for server-default rules");
  if (ruleId.includes("/") || ruleId.includes("\\")) return problem("invalid", "Rule ids may not contain '/' or '\\'");
  return undefined;
}

// ---- edits ----

function withCustom(rules: UserPushRules, kind: PushRuleKind, list: CustomPushRule[]): UserPushRules {
  return { ...rules, custom: { ...rules.custom, [kind]: list } };
}

/**
 * PUT /pushrules/global/{kind}/{ruleId}: creates the rule (enabled, most important of its kind
 * unless `before`/`after` place it) or updates it in place, keeping whether it is enabled.
 * With both `before` and `after`, `before` decides.
 */
export function putPushRule(
  rules: UserPushRules,
  kind: PushRuleKind,
  ruleId: string,
  body: unknown,
  place: { before?: string; after?: string } = {},
): PushRuleEdit {
  const idProblem = checkRuleId(ruleId);
  if (idProblem) return idProblem;
  if (!isJsonObject(body)) return problem("invalid", "The rule must be a JSON object");
  const actions = checkActions(body.actions);
  if (isPushRuleProblem(actions)) return actions;
  const list = rules.custom[kind];
  const existing = list.find((r) => r.rule_id === ruleId);
  const rule: CustomPushRule = { rule_id: ruleId, enabled: existing?.enabled ?? true, actions };
  if (kind === "override" || kind === "underride") {
    const conditions = checkConditions(body.conditions);
    if (isPushRuleProblem(conditions)) return conditions;
    rule.conditions = conditions;
  } else if (kind === "content") {
    if (body.pattern === undefined) return problem("missing", "Missing 'pattern'");
    if (typeof body.pattern !== "string") return problem("invalid", "'pattern' must be a string");
    rule.pattern = body.pattern;
  }

  const anchor = place.before ?? place.after;
  if (anchor === undefined) {
    const next = existing ? list.map((r) => (r === existing ? rule : r)) : [rule, ...list];
    return { rules: withCustom(rules, kind, next) };
  }
  if (isServerDefaultRuleId(anchor)) return problem("invalid", `A rule cannot be placed relative to the server-default rule ${anchor}`);
  const others = list.filter((r) => r.rule_id !== ruleId);
  const at = others.findIndex((r) => r.rule_id === anchor);
  if (at < 0) return problem("invalid", `before/after rule not found: ${anchor}`);
  const index = place.before !== undefined ? at : at + 1;
  return { rules: withCustom(rules, kind, [...others.slice(0, index), rule, ...others.slice(index)]) };
}

/** DELETE /pushrules/global/{kind}/{ruleId}: only user-defined rules can go. */
export function deletePushRule(rules: UserPushRules, kind: PushRuleKind, ruleId: string): PushRuleEdit {
  if (isPredefinedRule(kind, ruleId)) return problem("invalid", `The server-default rule ${ruleId} cannot be deleted`);
  const list = rules.custom[kind];
  if (!list.some((r) => r.rule_id === ruleId)) return notFound(kind, ruleId);
  return { rules: withCustom(rules, kind, list.filter((r) => r.rule_id !== ruleId)) };
}

/**
 * Room upgrades: each of the user's rules for room `from` (its `room` rule, and `override` or
 * `underride` rules matching its room id) gets a twin for room `to`, placed right after it, with
 * the room id swapped in its id and conditions. A twin already there is kept. Null: nothing to copy.
 */
export function copyRoomPushRules(rules: UserPushRules, from: string, to: string): UserPushRules | null {
  const forRoom = (c: PushCondition) => c.kind === "event_match" && c.key === "room_id" && c.pattern === from;
  let changed = false;
  const custom = { ...rules.custom };
  for (const kind of PUSH_RULE_KINDS) {
    const list = rules.custom[kind];
    const next: CustomPushRule[] = [];
    for (const rule of list) {
      next.push(rule);
      const copies = kind === "room" ? rule.rule_id === from : rule.conditions?.some(forRoom) === true;
      const twinId = rule.rule_id.split(from).join(to);
      if (!copies || twinId === rule.rule_id || list.some((r) => r.rule_id === twinId)) continue;
      const twin: CustomPushRule = { ...rule, rule_id: twinId };
      if (rule.conditions) twin.conditions = rule.conditions.map((c) => (forRoom(c) ? { ...c, pattern: to } : c));
      next.push(twin);
      changed = true;
    }
    custom[kind] = next;
  }
  return changed ? { ...rules, custom } : null;
}

const notFound = (kind: PushRuleKind, ruleId: string) => problem("not_found", `No ${kind} push rule ${ruleId}`);

/** Applies `change` to a user-defined or a server-default rule. */
function changeRule(rules: UserPushRules, kind: PushRuleKind, ruleId: string, change: DefaultRuleChange): PushRuleEdit {
  if (isPredefinedRule(kind, ruleId)) {
    const ofKind = rules.defaults[kind] ?? {};
    const merged = { ...ofKind[ruleId], ...change };
    return { rules: { ...rules, defaults: { ...rules.defaults, [kind]: { ...ofKind, [ruleId]: merged } } } };
  }
  const list = rules.custom[kind];
  if (!list.some((r) => r.rule_id === ruleId)) return notFound(kind, ruleId);
  return { rules: withCustom(rules, kind, list.map((r) => (r.rule_id === ruleId ? { ...r, ...change } : r))) };
}

/** PUT /pushrules/global/{kind}/{ruleId}/enabled */
export function setPushRuleEnabled(rules: UserPushRules, kind: PushRuleKind, ruleId: string, enabled: unknown): PushRuleEdit {
  if (typeof enabled !== "boolean") return problem(enabled === undefined ? "missing" : "invalid", "'enabled' must be a boolean");
  return changeRule(rules, kind, ruleId, { enabled });
}

/** PUT /pushrules/global/{kind}/{ruleId}/actions */
export function setPushRuleActions(rules: UserPushRules, kind: PushRuleKind, ruleId: string, raw: unknown): PushRuleEdit {
  const actions = checkActions(raw);
  if (isPushRuleProblem(actions)) return actions;
  return changeRule(rules, kind, ruleId, { actions });
}

// ---- the rule set clients see ----

function shown(kind: PushRuleKind, rule: CustomPushRule): PushRule {
  const out: PushRule = { rule_id: rule.rule_id, default: false, enabled: rule.enabled, actions: rule.actions };
  if (kind === "override" || kind === "underride") out.conditions = rule.conditions ?? [];
  if (kind === "content") out.pattern = rule.pattern ?? "";
  return out;
}

/**
 * The user's full rule set in evaluation order: `.m.rule.master`, then within each kind the
 * user-defined rules ahead of the server-default ones.
 */
export function renderPushRules(userId: string, rules: UserPushRules = emptyUserPushRules()): PushRuleSet {
  const predefined = predefinedPushRules(userId);
  const withChanges = (kind: PushRuleKind): PushRule[] =>
    predefined[kind].map((r) => {
      const change = rules.defaults[kind]?.[r.rule_id];
      return change ? { ...r, ...change } : r;
    });
  const custom = (kind: PushRuleKind) => rules.custom[kind].map((r) => shown(kind, r));
  const [master, ...overrides] = withChanges("override");
  return {
    override: [master!, ...custom("override"), ...overrides],
    content: [...custom("content"), ...withChanges("content")],
    room: [...custom("room"), ...withChanges("room")],
    sender: [...custom("sender"), ...withChanges("sender")],
    underride: [...custom("underride"), ...withChanges("underride")],
  };
}

/** The `m.push_rules` account data content. */
export function pushRulesContent(userId: string, rules?: UserPushRules): JsonObject {
  return { global: renderPushRules(userId, rules) as unknown as JsonObject };
}

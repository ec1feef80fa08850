/**
 * The shapes of push rules as the spec's Client-Server API carries them (spec "Push Rules"): five
 * kinds checked in a fixed order, each rule with its actions and, by kind, conditions or a pattern.
 */
import type { JsonObject, JsonValue } from "../types.ts";

/** The rule kinds in the order they are checked. */
export const PUSH_RULE_KINDS = ["override", "content", "room", "sender", "underride"] as const;
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number];

export function isPushRuleKind(value: string): value is PushRuleKind {
  return (PUSH_RULE_KINDS as readonly string[]).includes(value);
}

/** `"notify"` or an object such as `{ "set_tweak": "sound", "value": "default" }`. */
export type PushAction = string | JsonObject;

/** A condition as clients write it; `kind` says which other fields apply. */
export interface PushCondition {
  kind: string;
  key?: string;
  pattern?: string;
  is?: string;
  value?: JsonValue;
  [extra: string]: JsonValue | undefined;
}

/** A rule as `GET /pushrules/` shows it. */
export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  /** Only `override` and `underride` rules. */
  conditions?: PushCondition[];
  /** Only `content` rules. */
  pattern?: string;
}

export type PushRuleSet = Record<PushRuleKind, PushRule[]>;

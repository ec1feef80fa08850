/**
 * The public surface of `src/core`: pure protocol code shared by the main thread and workers.
 * A plain list of re-exports, grouped by area; add new modules to their group.
 */

// Shared shapes and room versions
export * from "./types.ts";
export { errorMessage } from "./error-message.ts";
export * from "./room-versions.ts";

// JSON
export { JsonError, MAX_JSON_DEPTH, NonCanonicalNumberError, type JsonErrorCode } from "./json/json-error.ts";
export { canonicalJson } from "./json/canonical-json.ts";
export { parseJson } from "./json/parse-json.ts";

// Encoding
export { Base64Error, decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from "./encoding/base64.ts";

// Crypto primitives and keys
export {
  ED25519_PUBLIC_KEY_BYTES,
  ED25519_SEED_BYTES,
  ED25519_SIGNATURE_BYTES,
  generateSigningSeed,
  publicKeyFromSeed,
  signEd25519,
  verifyEd25519,
} from "./crypto/ed25519.ts";
export { sha256 } from "./crypto/sha256.ts";
export { generateEd25519KeyId, parseKeyId, type KeyId } from "./crypto/key-ids.ts";

// JSON signatures
export { signJson, signedBytesOf, verifyJsonSignature, withSignature } from "./signing/json-signatures.ts";

// Identifiers
export {
  isValidEventId,
  isValidServerName,
  isValidUserId,
  isValidUserLocalpart,
  MAX_ID_BYTES,
  parseRoomAlias,
  parseRoomId,
  parseServerName,
  parseUserId,
  utf8Length,
  type ParsedRoomAlias,
  type ParsedServerName,
  type ParsedUserId,
} from "./ids.ts";

// Events: redaction, hashes and ids, signing, format checks
export { redact } from "./events/redaction.ts";
export { contentHash, eventIdFor, referenceHash, roomIdFor } from "./events/event-hashes.ts";
export {
  checkContentHash,
  hashAndSignEvent,
  signEvent,
  verifyEventSignature,
  type SignedEvent,
} from "./events/event-signing.ts";
export { MAX_AUTH_EVENTS, MAX_PDU_BYTES, MAX_PREV_EVENTS, validatePdu, wireForm, type PduCheck } from "./events/pdu-format.ts";
export { eventRefs, pduTemplate, type TemplateFields, type TemplateOptions } from "./events/pdu-template.ts";
export {
  asSigned,
  belongsTo,
  checkPdu,
  keyName,
  requiredSigners,
  roomIdOf,
  signedWith,
  type CheckedPdu,
  type KeyTable,
  type PduCheckRunner,
  type PduVerdict,
} from "./events/pdu-checks.ts";
export { usableAt, type KnownKey } from "./signing/key-validity.ts";
export type { SigningKey } from "./signing/signing-key.ts";

// End-to-end encryption: key shapes and signatures, to-device messages, key backup
export * from "./e2ee/index.ts";

// Filters and sync tokens
export { splitDotPath } from "./dot-path.ts";
export {
  checkFilter,
  compileFilter,
  projectEventFields,
  type CompiledFilter,
  type EventMatcher,
  type FilterJson,
  type RoomEventMatcher,
} from "./filter.ts";
export { formatSyncToken, parseSyncToken, roomEventsPosition, type SyncToken } from "./sync-token.ts";

// Authorization rules
export { authCheck, checkStateDependentAuthRules, checkStateIndependentAuthRules, type AuthCheckOptions } from "./auth/auth-check.ts";
export type { AuthResult } from "./auth/auth-result.ts";
export { authEventMapOf, type AuthEventMap } from "./auth/auth-event-map.ts";
export { authEventTypesFor } from "./auth/auth-events-selection.ts";
export { DEFAULT_LEVELS, namedLevelOf, parsePowerLevels, powerLevelFrom, powerLevelOf, requiredPowerLevel, type NamedLevel, type PowerLevels } from "./auth/power-levels.ts";
export { privilegedCreatorsOf, roomCreatorOf } from "./auth/room-creators.ts";

// State resolution
export { resolveState, resolveStateSync, type FetchEvent, type StateResolver } from "./state-res/resolve-state.ts";

// Application services: registrations and namespaces
export {
  checkRegistration,
  isAppserviceLocalpart,
  NAMESPACE_KINDS,
  registrationClash,
  type Namespace,
  type NamespaceKind,
  type Registration,
  type RegistrationCheck,
} from "./appservices/registration.ts";
export {
  compileAppservice,
  isExclusive,
  isInNamespace,
  isInterestedInEvent,
  isInterestedInRoom,
  isInterestedInUser,
  mayActAs,
  receiptsForAppservice,
  type Appservice,
  type CompiledNamespace,
  type InterestEvent,
  type ReceiptContent,
  type RoomFacts,
} from "./appservices/namespaces.ts";
export {
  transactionBody,
  wantsEphemeral,
  type AppserviceItemKind,
  type DeviceListItem,
  type KeyCountsItem,
  type QueuedItem,
} from "./appservices/transaction.ts";
export { instanceIdSplits, mergeProtocols, protocolOfAppservice, thirdPartyEntries, thirdPartyInstanceId } from "./appservices/third-party.ts";

// Push rules
export { compileGlob, type GlobMatcher } from "./push/glob.ts";
export { isPredefinedRule, isServerDefaultRuleId, predefinedPushRules } from "./push/predefined-rules.ts";
export {
  isPushRuleKind,
  PUSH_RULE_KINDS,
  type PushAction,
  type PushCondition,
  type PushRule,
  type PushRuleKind,
  type PushRuleSet,
} from "./push/push-rule-types.ts";
export {
  compilePushRules,
  DEFAULT_PUSH_RULES,
  evaluatePushRules,
  outcomeOf,
  pushEventContext,
  usersNamedByEvent,
  type CompiledPushRules,
  type PushEventContext,
  type PushOutcome,
  type PushRoomFacts,
  type PushUser,
} from "./push/push-evaluator.ts";
export {
  checkActions,
  copyRoomPushRules,
  deletePushRule,
  emptyUserPushRules,
  isPushRuleProblem,
  parseUserPushRules,
  pushRulesContent,
  putPushRule,
  renderPushRules,
  setPushRuleActions,
  setPushRuleEnabled,
  type CustomPushRule,
  type PushRuleEdit,
  type PushRuleProblem,
  type UserPushRules,
} from "./push/user-push-rules.ts";
export { MAIN_THREAD, threadOf } from "./push/thread-of.ts";
export { REFERENCE, REPLACE, THREAD, relationOf, type Relation } from "./events/relations.ts";

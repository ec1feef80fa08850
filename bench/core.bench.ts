/**
 * Core protocol throughput on a ~1 KB event: canonical JSON, strict parsing against JSON.parse,
 * SHA-256 and Ed25519 native against the @noble reference, and the per-event pipeline (format
 * check, hashes, signatures, event id).
 */

import { canonicalJson } from "../src/core/json/canonical-json.ts";
import { parseJson } from "../src/core/json/parse-json.ts";
import { sha256 } from "../src/core/crypto/sha256.ts";
import { generateSigningSeed, publicKeyFromSeed, signEd25519, verifyEd25519 } from "../src/core/crypto/ed25519.ts";
import { referenceSha256, referenceSignEd25519, referenceVerifyEd25519 } from "../test/core/crypto/reference.ts";
import { eventIdFor } from "../src/core/events/event-hashes.ts";
import { checkContentHash, hashAndSignEvent, verifyEventSignature } from "../src/core/events/event-signing.ts";
import { validatePdu } from "../src/core/events/pdu-format.ts";
import { rulesFor } from "../src/core/room-versions.ts";
import { compare, opsPerSecond, report } from "./measure.ts";
import { samplePdu } from "./sample-pdu.ts";

const canonical = canonicalJson(samplePdu);
const pretty = JSON.stringify(samplePdu, null, 2);
console.log(`sample event: ${Buffer.byteLength(canonical)} bytes of canonical JSON`);

report("canonicalJson", opsPerSecond(() => canonicalJson(samplePdu)));
report("JSON.stringify (unsorted, for scale)", opsPerSecond(() => JSON.stringify(samplePdu)));
compare(
  "canonicalJson + SHA-256",
  ["native", opsPerSecond(() => sha256(canonicalJson(samplePdu)))],
  ["noble", opsPerSecond(() => referenceSha256(canonicalJson(samplePdu)))],
);
compare("parse canonical text", ["JSON.parse", opsPerSecond(() => JSON.parse(canonical))], ["parseJson", opsPerSecond(() => parseJson(canonical))]);
compare("parse indented text", ["JSON.parse", opsPerSecond(() => JSON.parse(pretty))], ["parseJson", opsPerSecond(() => parseJson(pretty))]);

const seed = generateSigningSeed();
const publicKey = publicKeyFromSeed(seed);
const signature = signEd25519(canonical, seed);
compare(
  "ed25519 sign 1 KB",
  ["native", opsPerSecond(() => signEd25519(canonical, seed))],
  ["noble", opsPerSecond(() => referenceSignEd25519(canonical, seed), 1500)],
);
compare(
  "ed25519 verify 1 KB",
  ["native", opsPerSecond(() => verifyEd25519(signature, canonical, publicKey))],
  ["noble", opsPerSecond(() => referenceVerifyEd25519(signature, canonical, publicKey), 1500)],
);

const rules = rulesFor("12");
const { pdu: signedPdu } = hashAndSignEvent(samplePdu, rules, "example.org", "ed25519:a", seed);
report("validatePdu (v12)", opsPerSecond(() => validatePdu(signedPdu, rules)));
report("eventIdFor (redact + canonical + SHA-256)", opsPerSecond(() => eventIdFor(signedPdu, rules)));
report("hashAndSignEvent", opsPerSecond(() => hashAndSignEvent(samplePdu, rules, "example.org", "ed25519:a", seed)));
report(
  "verify received event (sig + content hash)",
  opsPerSecond(
    () => verifyEventSignature(signedPdu, rules, "example.org", "ed25519:a", publicKey) && checkContentHash(signedPdu),
  ),
);

import { expect, test } from "bun:test";
import { generateEd25519KeyId, parseKeyId } from "../../../src/core/crypto/key-ids.ts";

test("parseKeyId splits algorithm and version and refuses other shapes", () => {
  expect(parseKeyId("ed25519:1")).toEqual({ algorithm: "ed25519", version: "1" });
  expect(parseKeyId("ed25519:a_Abc9")).toEqual({ algorithm: "ed25519", version: "a_Abc9" });
  for (const bad of ["ed25519", "ed25519:", ":1", "ed25519:a-b", "ed25519:a:b", "ED25519:1", "ed25519:é"]) {
    expect(parseKeyId(bad)).toBeNull();
  }
});

test("generated key ids follow the grammar and differ", () => {
  const ids = new Set(Array.from({ length: 50 }, generateEd25519KeyId));
  expect(ids.size).toBeGreaterThan(45);
  for (const id of ids) expect(parseKeyId(id)?.algorithm).toBe("ed25519");
});

// The X-Matrix Authorization header: what we send parses back, and the parser accepts every form
// the spec allows (case-insensitive names, quoted or bare values, escapes, unknown parameters).
import { expect, test } from "bun:test";
import { generateSigningSeed, publicKeyFromSeed, verifyJsonSignature } from "../../src/core";
import { parseXMatrix, requestSigningObject, signRequest } from "../../src/net/x-matrix";

test("a header we sign parses back and its signature verifies over the request object", () => {
  const key = { keyId: "ed25519:k1", seed: generateSigningSeed() };
  const req = { method: "PUT", uri: "/_matrix/federation/v1/send/1?x=1", origin: "a.test", destination: "b.test", content: { pdus: [] } };
  const params = parseXMatrix(signRequest(req, key))!;
  expect(params).toMatchObject({ origin: "a.test", destination: "b.test", key: "ed25519:k1" });
  const signed = { ...requestSigningObject(req), signatures: { "a.test": { "ed25519:k1": params.sig } } };
  expect(verifyJsonSignature(signed, "a.test", "ed25519:k1", publicKeyFromSeed(key.seed))).toBe(true);
  const tampered = { ...signed, uri: "/_matrix/federation/v1/send/2" };
  expect(verifyJsonSignature(tampered, "a.test", "ed25519:k1", publicKeyFromSeed(key.seed))).toBe(false);
});

test("names are case-insensitive, values quoted or bare, unknown parameters ignored", () => {
  expect(parseXMatrix('x-matrix  Origin=a.test:8448 , DESTINATION="b.test",KEY="ed25519:1",\tSig=abc/+, extra="z"')).toEqual({
    origin: "a.test:8448",
    destination: "b.test",
    key: "ed25519:1",
    sig: "abc/+",
  });
});

test("quoted values unescape backslashes; destination may be absent", () => {
  expect(parseXMatrix('X-Matrix origin="a\\.test",key="ed25519:1",sig="s\\"ig"')).toEqual({ origin: "a.test", key: "ed25519:1", sig: 's"ig' });
});

test("only the first of several credentials counts", () => {
  const header = 'X-Matrix origin=a.test,key=ed25519:1,sig=one, X-Matrix origin=b.test,key=ed25519:2,sig=two';
  expect(parseXMatrix(header)).toMatchObject({ origin: "a.test", sig: "one" });
});

test("other schemes, missing parameters and unterminated quotes are refused", () => {
  for (const bad of [
    undefined,
    "",
    "Bearer abc",
    "X-Matrixorigin=a,key=b,sig=c",
    "X-Matrix origin=a.test,key=ed25519:1",
    'X-Matrix origin="a.test,key=ed25519:1,sig=x',
  ]) {
    expect(parseXMatrix(bad)).toBeNull();
  }
});

// OpenID tokens on a real (in-memory) SQLite database: valid until their expiry, gone with expiry
// or with their user's tokens.
import { beforeEach, expect, test } from "bun:test";
import { createStorage, openDatabase, type Storage } from "../../src/storage";

let storage: Storage;
beforeEach(() => {
  storage = createStorage(openDatabase(":memory:"));
  for (const u of ["@a:x", "@b:x"]) storage.accounts.insertUser({ userId: u, passwordHash: "h", displayname: null, isGuest: false, createdTs: 1 });
});

test("a token names its user until it expires", () => {
  storage.openIdTokens.insert("h1", "@a:x", 1000, 0);
  expect(storage.openIdTokens.userFor("h1", 999)).toBe("@a:x");
  expect(storage.openIdTokens.userFor("h1", 1000)).toBeNull();
  expect(storage.openIdTokens.userFor("unknown", 0)).toBeNull();
});

test("storing a token forgets the expired ones, and a user's tokens go together", () => {
  storage.openIdTokens.insert("old", "@a:x", 100, 0);
  storage.openIdTokens.insert("a2", "@a:x", 5000, 200);
  storage.openIdTokens.insert("b1", "@b:x", 5000, 200);
  // Expired rows are gone, not merely filtered: asking with an earlier clock finds nothing.
  expect(storage.openIdTokens.userFor("old", 0)).toBeNull();
  storage.openIdTokens.deleteForUser("@a:x");
  expect(storage.openIdTokens.userFor("a2", 300)).toBeNull();
  expect(storage.openIdTokens.userFor("b1", 300)).toBe("@b:x");
});

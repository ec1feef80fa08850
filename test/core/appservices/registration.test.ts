// Registration documents: the spec's example is accepted as written, defaults are the spec's and
// Synapse's, unstable keys bridges send are read, and each kind of mistake names its field.
import { expect, test } from "bun:test";
import { checkRegistration, registrationClash, type Registration } from "../../../src/core";

/** The spec's example IRC registration, as a parsed document. */
const ircExample = () => ({
  id: "IRC Bridge",
  url: "http://127.0.0.1:1234",
  as_token: "30c05ae90a248a4188e620216fa72e349803310ec83e2a77b34fe90be6081f46",
  hs_token: "312df522183efd404ec1cd22d2ffa4bbc76a8c1ccf541dd692eef281356bb74e",
  sender_localpart: "_irc_bot",
  namespaces: {
    users: [{ exclusive: true, regex: "@_irc_bridge_.*" }],
    aliases: [{ exclusive: false, regex: "#_irc_bridge_.*" }],
    rooms: [],
  },
});

function ok(doc: unknown): Registration {
  const check = checkRegistration(doc, "example.org");
  if (!check.ok) throw new Error(`refused: ${check.field} ${check.problem}`);
  return check.registration;
}

function problem(doc: unknown): { field: string; problem: string } {
  const check = checkRegistration(doc, "example.org");
  if (check.ok) throw new Error("accepted");
  return { field: check.field, problem: check.problem };
}

test("the spec's example registration is accepted with the spec's defaults", () => {
  expect(ok(ircExample())).toEqual({
    id: "IRC Bridge",
    url: "http://127.0.0.1:1234",
    asToken: "30c05ae90a248a4188e620216fa72e349803310ec83e2a77b34fe90be6081f46",
    hsToken: "312df522183efd404ec1cd22d2ffa4bbc76a8c1ccf541dd692eef281356bb74e",
    senderLocalpart: "_irc_bot",
    namespaces: {
      users: [{ exclusive: true, regex: "@_irc_bridge_.*" }],
      aliases: [{ exclusive: false, regex: "#_irc_bridge_.*" }],
      rooms: [],
    },
    rateLimited: true,
    receiveEphemeral: false,
    unstableEphemeral: false,
    deviceData: false,
    protocols: [],
  });
});

test("optional keys: rate_limited, receive_ephemeral, MSC2409's and MSC3202's unstable keys, protocols", () => {
  const reg = ok({
    ...ircExample(),
    rate_limited: false,
    receive_ephemeral: true,
    "de.sorunome.msc2409.push_ephemeral": true,
    "org.matrix.msc3202": true,
    protocols: ["irc"],
    "io.element.msc4190": true, // unknown keys are ignored
  });
  expect(reg).toMatchObject({ rateLimited: false, receiveEphemeral: true, unstableEphemeral: true, deviceData: true, protocols: ["irc"] });
});

test("url may be null on purpose but not missing; a trailing slash is dropped; only http(s)", () => {
  expect(ok({ ...ircExample(), url: null }).url).toBeNull();
  expect(ok({ ...ircExample(), url: "https://bridge.example.org/base/" }).url).toBe("https://bridge.example.org/base");
  const { url: _url, ...noUrl } = ircExample();
  expect(problem(noUrl)).toEqual({ field: "url", problem: "is missing (write url: null if the appservice takes no traffic)" });
  expect(problem({ ...ircExample(), url: "ftp://x" }).field).toBe("url");
  expect(problem({ ...ircExample(), url: "not a url" }).problem).toContain("not a URL");
});

test("namespaces may leave out kinds, but must be a mapping", () => {
  expect(ok({ ...ircExample(), namespaces: { users: [{ regex: "@_x_.*", exclusive: true }] } }).namespaces).toEqual({
    users: [{ regex: "@_x_.*", exclusive: true }],
    aliases: [],
    rooms: [],
  });
  expect(problem({ ...ircExample(), namespaces: undefined })).toEqual({ field: "namespaces", problem: "is missing" });
  expect(problem({ ...ircExample(), namespaces: ["@x"] }).field).toBe("namespaces");
});

test("each bad field is named with its path", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ id: undefined }, "id"],
    [{ id: "" }, "id"],
    [{ as_token: 1234 }, "as_token"],
    [{ hs_token: null }, "hs_token"],
    [{ sender_localpart: "bad localpart" }, "sender_localpart"],
    [{ sender_localpart: "x".repeat(250) }, "sender_localpart"],
    [{ rate_limited: "no" }, "rate_limited"],
    [{ receive_ephemeral: 1 }, "receive_ephemeral"],
    [{ protocols: "irc" }, "protocols"],
    [{ protocols: ["irc", 3] }, "protocols[1]"],
    [{ namespaces: { users: {} } }, "namespaces.users"],
    [{ namespaces: { users: ["@x"] } }, "namespaces.users[0]"],
    [{ namespaces: { aliases: [{ exclusive: true }] } }, "namespaces.aliases[0].regex"],
    [{ namespaces: { rooms: [{ regex: "!a", exclusive: true }, { regex: "(", exclusive: true }] } }, "namespaces.rooms[1].regex"],
    [{ namespaces: { users: [{ regex: "@a" }] } }, "namespaces.users[0].exclusive"],
    [{ namespaces: { users: [{ regex: "@a", exclusive: "yes" }] } }, "namespaces.users[0].exclusive"],
  ];
  for (const [change, field] of cases) expect(problem({ ...ircExample(), ...change }).field).toBe(field);
});

test("a number where a token belongs says to quote it", () => {
  expect(problem({ ...ircExample(), as_token: 1230000 })).toEqual({
    field: "as_token",
    problem: "is number 1230000, but it must be a string (quote it)",
  });
});

test("a document that is not a mapping is refused", () => {
  expect(problem(null).field).toBe("(document)");
  expect(problem(["id: x"]).problem).toContain("a list");
});

test("capital letters are allowed in sender_localpart (bridges generate such localparts)", () => {
  expect(ok({ ...ircExample(), sender_localpart: "DdBSpXfiYRdfD2iGX7UDeRcaZuBr6UkC" }).senderLocalpart).toBe("DdBSpXfiYRdfD2iGX7UDeRcaZuBr6UkC");
});

test("two registrations clash on the same id or the same as_token", () => {
  const a = ok(ircExample());
  expect(registrationClash(a, ok({ ...ircExample(), as_token: "other" }))).toBe("id");
  expect(registrationClash(a, ok({ ...ircExample(), id: "other" }))).toBe("as_token");
  expect(registrationClash(a, ok({ ...ircExample(), id: "other", as_token: "other" }))).toBeNull();
});

// Third-party networks through appservices: instance ids read back whatever the appservice id
// holds, a protocol answer counts only with its list of instances (networks get their instance
// id), merged protocols keep the first answer's fields, and lookups keep only well-formed entries.
import { expect, test } from "bun:test";
import { instanceIdSplits, mergeProtocols, protocolOfAppservice, thirdPartyEntries, thirdPartyInstanceId } from "../../../src/core";

test("an instance id splits at every separator, the shortest appservice id first", () => {
  expect(instanceIdSplits(thirdPartyInstanceId("irc", "libera"))).toEqual([{ appserviceId: "irc", networkId: "libera" }]);
  expect(instanceIdSplits("a|b|c")).toEqual([
    { appserviceId: "a", networkId: "b|c" },
    { appserviceId: "a|b", networkId: "c" },
  ]);
  expect(instanceIdSplits("no-separator")).toEqual([]);
});

test("a protocol answer needs a list of instances; those with a network get an instance id", () => {
  expect(protocolOfAppservice("irc", [])).toBeUndefined();
  expect(protocolOfAppservice("irc", { user_fields: [] })).toBeUndefined();
  expect(protocolOfAppservice("irc", { icon: "mxc://x/y", instances: [{ desc: "Libera", network_id: "libera" }, { desc: "none" }, "junk"] })).toEqual({
    icon: "mxc://x/y",
    instances: [{ desc: "Libera", network_id: "libera", instance_id: "irc|libera" }, { desc: "none" }],
  });
});

test("merged protocols: the first answer's fields, every answer's instances", () => {
  expect(mergeProtocols([])).toBeUndefined();
  expect(mergeProtocols([{ icon: "a", instances: [{ desc: "1" }] }, { icon: "b", instances: [{ desc: "2" }] }])).toEqual({
    icon: "a",
    instances: [{ desc: "1" }, { desc: "2" }],
  });
});

test("lookup answers keep the entries with protocol, fields and the kind's id", () => {
  const user = { protocol: "irc", fields: {}, userid: "@irc_a:example.org" };
  const location = { protocol: "irc", fields: {}, alias: "#irc_a:example.org" };
  expect(thirdPartyEntries("user", [user, location, { protocol: "irc", userid: "@x:example.org" }, 1])).toEqual([user]);
  expect(thirdPartyEntries("location", [user, location])).toEqual([location]);
  expect(thirdPartyEntries("location", { chunk: [location] })).toEqual([]);
});

// The body of an appservice transaction: `events` always, the other keys only when they hold
// something and under the names the registration asked for; device-list changes and key counts
// merged so the last word for each user or device counts.
import { expect, test } from "bun:test";
import { checkRegistration, transactionBody, type QueuedItem, type Registration } from "../../../src/core";

function registration(extra: Record<string, unknown> = {}): Registration {
  const check = checkRegistration(
    { id: "br", url: null, as_token: "as", hs_token: "hs", sender_localpart: "bot", namespaces: {}, ...extra },
    "example.org",
  );
  if (!check.ok) throw new Error(check.problem);
  return check.registration;
}

const item = (kind: QueuedItem["kind"], value: unknown): QueuedItem => ({ kind, payload: JSON.stringify(value) });
const message = { event_id: "$1", type: "m.room.message", room_id: "!r:example.org", sender: "@a:example.org", content: {} };
const typing = { type: "m.typing", room_id: "!r:example.org", content: { user_ids: ["@a:example.org"] } };

test("events only: the body is just `events`, empty when nothing else is queued", () => {
  expect(transactionBody(registration(), [item("event", message)])).toEqual({ events: [message] });
  expect(transactionBody(registration(), [])).toEqual({ events: [] });
});

test("ephemeral data goes under the stable key, the unstable key, or both, as registered", () => {
  const items = [item("event", message), item("ephemeral", typing)];
  expect(transactionBody(registration({ receive_ephemeral: true }), items)).toEqual({ events: [message], ephemeral: [typing] });
  expect(transactionBody(registration({ "de.sorunome.msc2409.push_ephemeral": true }), items)).toEqual({
    events: [message],
    "de.sorunome.msc2409.ephemeral": [typing],
  });
  const both = transactionBody(registration({ receive_ephemeral: true, "de.sorunome.msc2409.push_ephemeral": true }), items);
  expect(Object.keys(both).sort()).toEqual(["de.sorunome.msc2409.ephemeral", "ephemeral", "events"]);
});

test("to-device messages, device lists and key counts: MSC4203 and MSC3202's keys, the last word counting", () => {
  const toDevice = { type: "m.room_key_request", sender: "@a:example.org", content: {}, to_user_id: "@br_b:example.org", to_device_id: "D" };
  const body = transactionBody(registration({ "org.matrix.msc3202": true }), [
    item("to_device", toDevice),
    item("device_list", { user_id: "@a:example.org", change: "left" }),
    item("device_list", { user_id: "@c:example.org", change: "changed" }),
    item("device_list", { user_id: "@a:example.org", change: "changed" }),
    item("key_counts", { user_id: "@br_b:example.org", device_id: "D", one_time_keys_count: { signed_curve25519: 5 }, unused_fallback_key_types: [] }),
    item("key_counts", { user_id: "@br_b:example.org", device_id: "D", one_time_keys_count: { signed_curve25519: 4 }, unused_fallback_key_types: ["signed_curve25519"] }),
  ]);
  expect(body).toEqual({
    events: [],
    to_device: [toDevice],
    "org.matrix.msc3202.device_lists": { changed: ["@c:example.org", "@a:example.org"], left: [] },
    "org.matrix.msc3202.device_one_time_keys_count": { "@br_b:example.org": { D: { signed_curve25519: 4 } } },
    "org.matrix.msc3202.device_unused_fallback_key_types": { "@br_b:example.org": { D: ["signed_curve25519"] } },
  });
});

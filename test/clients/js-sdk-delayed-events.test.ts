// Element Call's "hang up" through matrix-js-sdk's own delayed-event calls (MSC4140), as the
// MatrixRTC session manager makes them: a call membership state event, a delayed leave scheduled
// with the SDK's delay query, kept alive by restarts, listed, and sent when the heartbeats stop;
// another delayed event cancelled through the SDK. The other member's SDK sees the leave arrive.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { RoomStateEvent, UpdateDelayedEventAction, type MatrixClient } from "matrix-js-sdk";
import { registerUser } from "../helpers/client";
import { startSdkClient, until } from "../helpers/js-sdk";
import { serverForTests } from "../helpers/server";

const server = serverForTests();
const MEMBER = "org.matrix.msc3401.call.member";

let alice: MatrixClient;
let bob: MatrixClient;

beforeAll(async () => {
  alice = await startSdkClient(server.baseUrl, await registerUser(server.baseUrl, "alice"));
  bob = await startSdkClient(server.baseUrl, await registerUser(server.baseUrl, "bob"));
});
afterAll(() => {
  alice?.stopClient();
  bob?.stopClient();
});

async function sharedRoom(): Promise<string> {
  const { room_id: roomId } = await alice.createRoom({ preset: "public_chat" as never, power_level_content_override: { state_default: 0 } });
  await bob.joinRoom(roomId);
  return roomId;
}

const memberContent = (client: MatrixClient, roomId: string, stateKey: string) =>
  client.getRoom(roomId)?.currentState.getStateEvents(MEMBER, stateKey)?.getContent();

test("a delayed leave kept alive by restarts is sent once they stop, and the other member sees it", async () => {
  const roomId = await sharedRoom();
  const stateKey = `_${alice.getUserId()}_${alice.getDeviceId()}`;
  const membership = {
    application: "m.call", call_id: "", scope: "m.room", device_id: alice.getDeviceId(), expires: 14_400_000,
    focus_active: { type: "livekit", focus_selection: "oldest_membership" },
    foci_preferred: [{ type: "livekit", livekit_service_url: "https://livekit-jwt.example.org" }],
  };
  await alice.sendStateEvent(roomId, MEMBER as never, membership as never, stateKey);
  await until(bob, [RoomStateEvent.Events], () => (memberContent(bob, roomId, stateKey)?.application === "m.call" ? true : undefined), "bob sees the join");

  const { delay_id: delayId } = await alice._unstable_sendDelayedStateEvent(roomId, { delay: 1500 }, MEMBER as never, {} as never, stateKey);
  expect(typeof delayId).toBe("string");
  await alice._unstable_updateDelayedEvent(delayId, UpdateDelayedEventAction.Restart);
  await alice._unstable_restartScheduledDelayedEvent(delayId);
  const listed = (await alice._unstable_getDelayedEvents()) as unknown as { delayed_events: { delay_id: string; type: string; state_key: string }[] };
  expect(listed.delayed_events.find((d) => d.delay_id === delayId)).toMatchObject({ type: MEMBER, state_key: stateKey });
  expect(memberContent(bob, roomId, stateKey)?.application).toBe("m.call");

  // No more heartbeats: the server sends the leave (empty content) on its own.
  await until(bob, [RoomStateEvent.Events], () => (Object.keys(memberContent(bob, roomId, stateKey) ?? { x: 1 }).length === 0 ? true : undefined), "bob sees the leave");
  const done = (await alice._unstable_getDelayedEvent(delayId)) as { event_id?: string; finalised_ts?: number };
  expect(done.event_id).toMatch(/^\$/);
}, 30_000);

test("a delayed message cancelled through the SDK is never sent", async () => {
  const roomId = await sharedRoom();
  const { delay_id: delayId } = await alice._unstable_sendDelayedEvent(roomId, { delay: 60_000 }, null, "m.room.message" as never, { msgtype: "m.text", body: "never" } as never);
  await alice._unstable_cancelScheduledDelayedEvent(delayId);
  const done = (await alice._unstable_getDelayedEvent(delayId)) as { event_id?: string; finalised_ts?: number };
  expect(done.finalised_ts).toBeGreaterThan(0);
  expect(done.event_id).toBeUndefined();
  const listed = (await alice._unstable_getDelayedEvents()) as unknown as { delayed_events: { delay_id: string }[] };
  expect(listed.delayed_events.map((d) => d.delay_id)).not.toContain(delayId);
});

"""A small echo bridge on the mautrix appservice framework, run by test/appservices/bridge.test.ts.

Puppets are `@echo_<name>:<server>`. Invited to a room, a puppet registers (m.login.application_service)
and joins; a text message from anyone outside the bridge is answered in the room by the room's puppet
with "echo: <body>". Asked by the homeserver about an unknown puppet (GET /_matrix/app/v1/users), the
bridge registers it. Everything the bridge receives is printed on stdout as one JSON line, so the test
can check that no event was lost or delivered twice.

Configuration comes from the environment: HS_URL, SERVER_NAME, AS_ID, AS_TOKEN, HS_TOKEN,
BOT_LOCALPART, PORT.
"""
import asyncio
import json
import os
import signal
import sys

from mautrix.appservice import AppService
from mautrix.appservice.state_store import ASStateStore
from mautrix.client.state_store import MemoryStateStore
from mautrix.types import EventType, Membership, MessageType, TextMessageEventContent


class Store(ASStateStore, MemoryStateStore):
    def __init__(self) -> None:
        ASStateStore.__init__(self)
        MemoryStateStore.__init__(self)


def report(kind: str, **fields) -> None:
    print(json.dumps({"kind": kind, **fields}), flush=True)


async def main() -> None:
    env = os.environ
    server_name = env["SERVER_NAME"]
    prefix = f"@echo_"
    puppets_of_room: dict[str, str] = {}

    async def query_user(user_id: str):
        # The homeserver asks before an unknown user in our namespace is used: create it.
        report("query_user", user_id=user_id)
        if not user_id.startswith(prefix):
            return None
        await appservice.intent.user(user_id).ensure_registered()
        return {}

    appservice = AppService(
        server=env["HS_URL"],
        domain=server_name,
        as_token=env["AS_TOKEN"],
        hs_token=env["HS_TOKEN"],
        bot_localpart=env["BOT_LOCALPART"],
        id=env["AS_ID"],
        state_store=Store(),
        ephemeral_events=True,
        query_user=query_user,
        default_http_retry_count=10,
    )
    # Events of one transaction are handled in order, one after the other.
    appservice.synchronous_handlers = True

    @appservice.matrix_event_handler
    async def on_event(event) -> None:
        if event.type == EventType.TYPING:
            report("typing", room_id=event.room_id, user_ids=list(event.content.user_ids))
            return
        if event.type == EventType.RECEIPT or event.type == EventType.PRESENCE:
            report(str(event.type), room_id=getattr(event, "room_id", None))
            return
        report("event", event_id=event.event_id, type=str(event.type), room_id=event.room_id, sender=event.sender,
               state_key=getattr(event, "state_key", None),
               body=getattr(event.content, "body", None) if event.type == EventType.ROOM_MESSAGE else None)
        if event.type == EventType.ROOM_MEMBER and event.content.membership == Membership.INVITE:
            if event.state_key.startswith(prefix):
                intent = appservice.intent.user(event.state_key)
                await intent.ensure_registered()
                await intent.join_room(event.room_id)
                puppets_of_room[event.room_id] = event.state_key
                report("joined", room_id=event.room_id, user_id=event.state_key)
            return
        if event.type == EventType.ROOM_MESSAGE and not event.sender.startswith(prefix):
            puppet = puppets_of_room.get(event.room_id)
            if puppet and event.content.msgtype == MessageType.TEXT:
                answer = await appservice.intent.user(puppet).send_message(
                    event.room_id, TextMessageEventContent(msgtype=MessageType.TEXT, body=f"echo: {event.content.body}"))
                report("answered", event_id=event.event_id, answer_id=answer)

    await appservice.start(host="127.0.0.1", port=int(env["PORT"]))
    await appservice.intent.ensure_registered()
    whoami = await appservice.intent.whoami()
    duration = await appservice.ping_self("echo-start")
    report("ready", whoami=whoami.user_id, ping_ms=duration)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await appservice.stop()


if __name__ == "__main__":
    asyncio.run(main())

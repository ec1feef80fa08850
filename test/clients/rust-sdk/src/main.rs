//! The Element X engine (matrix-sdk + matrix-sdk-ui) as a scripted test client.
//!
//! It reads one JSON command per line on stdin and answers one JSON line on stdout, so a test
//! drives it step by step: `login` (password login, then the `SyncService` with its room list and
//! encryption syncs, in offline mode as Element X runs it), `rooms` (the room list service's
//! rooms in its order, with names and unread counts), `join`, `send` and `messages` (through the
//! timeline, so encrypted rooms are decrypted as the app does), `state`.
//! Errors are `{"error": "..."}`; the process ends when stdin closes.

// The SDK's futures are deeply nested types (the timeline's especially).
#![recursion_limit = "256"]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::{anyhow, Context, Result};
use eyeball_im::Vector;
use futures_util::{pin_mut, StreamExt};
use matrix_sdk::{
    ruma::{events::room::message::RoomMessageEventContent, OwnedRoomId, RoomId},
    Client,
};
use matrix_sdk_ui::{
    room_list_service::{filters::new_filter_non_left, RoomListItem},
    sync_service::{State, SyncService},
    timeline::{RoomExt, Timeline},
};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

struct Session {
    client: Client,
    sync: Arc<SyncService>,
    /// The room list service's entries, in its order, kept up to date by a task.
    rooms: Arc<Mutex<Vector<RoomListItem>>>,
    timelines: HashMap<OwnedRoomId, Arc<Timeline>>,
}

fn field<'a>(cmd: &'a Value, name: &str) -> Result<&'a str> {
    cmd.get(name).and_then(Value::as_str).ok_or_else(|| anyhow!("missing string field {name}"))
}

async fn login(cmd: &Value) -> Result<Session> {
    let client = Client::builder()
        .homeserver_url(field(cmd, "homeserver")?)
        .sqlite_store(field(cmd, "store")?, None)
        .build()
        .await
        .context("building the client")?;
    client
        .matrix_auth()
        .login_username(field(cmd, "user")?, field(cmd, "password")?)
        .initial_device_display_name("conduit rust-sdk test")
        .await
        .context("password login")?;
    let sync = Arc::new(SyncService::builder(client.clone()).with_offline_mode().build().await.context("building the sync service")?);
    sync.start().await;

    // Element X restarts the sync service when it stops on an error.
    let restarter = sync.clone();
    tokio::spawn(async move {
        let mut states = restarter.state();
        while let Some(state) = states.next().await {
            if matches!(state, State::Error(_) | State::Terminated) {
                tokio::time::sleep(Duration::from_millis(200)).await;
                restarter.start().await;
            }
        }
    });

    let rooms = Arc::new(Mutex::new(Vector::new()));
    let list_service = sync.room_list_service();
    let shared = rooms.clone();
    tokio::spawn(async move {
        let Ok(list) = list_service.all_rooms().await else { return };
        let (entries, controller) = list.entries_with_dynamic_adapters(500);
        controller.set_filter(Box::new(new_filter_non_left()));
        pin_mut!(entries);
        while let Some(diffs) = entries.next().await {
            let mut rooms = shared.lock().unwrap();
            for diff in diffs {
                diff.apply(&mut rooms);
            }
        }
    });
    Ok(Session { client, sync, rooms, timelines: HashMap::new() })
}

async fn room_list(session: &Session) -> Result<Value> {
    let items: Vec<RoomListItem> = session.rooms.lock().unwrap().iter().cloned().collect();
    let mut out = Vec::new();
    for item in items {
        let name = item.display_name().await.map(|n| n.to_string()).ok();
        let counts = item.unread_notification_counts();
        out.push(json!({
            "room_id": item.room_id().as_str(),
            "name": name,
            "state": format!("{:?}", item.state()),
            "notifications": counts.notification_count,
            "highlights": counts.highlight_count,
            "unread_messages": item.num_unread_messages(),
            "encrypted": item.encryption_state().is_encrypted(),
        }));
    }
    Ok(json!({ "rooms": out }))
}

fn room_of(session: &Session, cmd: &Value) -> Result<matrix_sdk::Room> {
    let room_id = RoomId::parse(field(cmd, "room_id")?)?;
    session.client.get_room(&room_id).ok_or_else(|| anyhow!("the client does not know {room_id}"))
}

async fn timeline(session: &mut Session, cmd: &Value) -> Result<Arc<Timeline>> {
    let room = room_of(session, cmd)?;
    if let Some(t) = session.timelines.get(room.room_id()) {
        return Ok(t.clone());
    }
    let t = Arc::new(room.timeline().await.context("opening the timeline")?);
    t.paginate_backwards(50).await.context("paginating")?;
    session.timelines.insert(room.room_id().to_owned(), t.clone());
    Ok(t)
}

async fn run(session: &mut Option<Session>, cmd: &Value) -> Result<Value> {
    let name = field(cmd, "cmd")?;
    if name == "login" {
        let s = login(cmd).await?;
        let out = json!({
            "user_id": s.client.user_id().map(|u| u.to_string()),
            "device_id": s.client.device_id().map(|d| d.to_string()),
        });
        *session = Some(s);
        return Ok(out);
    }
    let s = session.as_mut().ok_or_else(|| anyhow!("log in first"))?;
    match name {
        "rooms" => room_list(s).await,
        "state" => Ok(json!({ "state": format!("{:?}", s.sync.state().get()) })),
        "join" => {
            room_of(s, cmd)?.join().await.context("joining")?;
            Ok(json!({}))
        }
        "send" => {
            let room = room_of(s, cmd)?;
            let sent = room.send(RoomMessageEventContent::text_plain(field(cmd, "body")?)).await.context("sending")?;
            Ok(json!({ "event_id": sent.response.event_id.as_str() }))
        }
        "messages" => {
            let t = timeline(s, cmd).await?;
            let mut out = Vec::new();
            for item in t.items().await.iter() {
                let Some(event) = item.as_event() else { continue };
                let content = event.content();
                if let Some(message) = content.as_message() {
                    out.push(json!({ "sender": event.sender().as_str(), "body": message.body() }));
                } else if content.is_unable_to_decrypt() {
                    out.push(json!({ "sender": event.sender().as_str(), "unable_to_decrypt": true }));
                }
            }
            Ok(json!({ "messages": out }))
        }
        other => Err(anyhow!("unknown command {other}")),
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut session = None;
    while let Some(line) = lines.next_line().await? {
        let answer = match serde_json::from_str::<Value>(&line) {
            Ok(cmd) => run(&mut session, &cmd).await.unwrap_or_else(|e| json!({ "error": format!("{e:#}") })),
            Err(e) => json!({ "error": format!("not JSON: {e}") }),
        };
        println!("{answer}");
    }
    if let Some(s) = session {
        s.sync.stop().await;
    }
    Ok(())
}

/**
 * The rooms appservices published in their own room directories (migration 022), one list per
 * appservice and network, kept apart from the main published room list.
 */
import type { Database } from "bun:sqlite";

const INSERT = "INSERT OR IGNORE INTO appservice_room_lists (appservice_id, network_id, room_id) VALUES (?, ?, ?)";
const DELETE_ONE = "DELETE FROM appservice_room_lists WHERE appservice_id = ? AND network_id = ? AND room_id = ?";
const SELECT_LIST = "SELECT room_id FROM appservice_room_lists WHERE appservice_id = ? AND network_id = ?";
const SELECT_ALL = "SELECT DISTINCT room_id FROM appservice_room_lists";
const DELETE_ROOM = "DELETE FROM appservice_room_lists WHERE room_id = ?";
const DELETE_APPSERVICE = "DELETE FROM appservice_room_lists WHERE appservice_id = ?";

export function createAppserviceRoomListsRepo(db: Database) {
  return {
    /** Publishes the room in (or, with `published` false, removes it from) one appservice network's list. */
    setPublished(appserviceId: string, networkId: string, roomId: string, published: boolean): void {
      db.query(published ? INSERT : DELETE_ONE).run(appserviceId, networkId, roomId);
    },
    /** The rooms of one appservice network's list. */
    rooms(appserviceId: string, networkId: string): string[] {
      return db.query<{ room_id: string }, [string, string]>(SELECT_LIST).all(appserviceId, networkId).map((r) => r.room_id);
    },
    /** Every room of every appservice's lists, each once. */
    allRooms(): string[] {
      return db.query<{ room_id: string }, []>(SELECT_ALL).all().map((r) => r.room_id);
    },
    /** Takes the room out of every appservice's lists (a room shut down). */
    unpublishRoom(roomId: string): void {
      db.query(DELETE_ROOM).run(roomId);
    },
    /** Drops every list of an appservice (unregistered). */
    removeAppservice(appserviceId: string): void {
      db.query(DELETE_APPSERVICE).run(appserviceId);
    },
  };
}
export type AppserviceRoomListsRepo = ReturnType<typeof createAppserviceRoomListsRepo>;

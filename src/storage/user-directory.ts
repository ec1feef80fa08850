/**
 * The user directory's tables (migration 017): each known user's profile with its folded search
 * text, and the rooms whose members are visible to everyone. `search` finds the users whose text
 * holds every term and whom the searcher may see: sharing a joined room with them, or finding
 * them joined to a public room, or (`all`) anyone listed.
 */
import type { Database } from "bun:sqlite";

export interface DirectoryUser {
  user_id: string;
  display_name: string | null;
  avatar_url: string | null;
}

const UPSERT = `
  INSERT INTO user_directory (user_id, display_name, avatar_url, search_text) VALUES (?, ?, ?, ?)
  ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, avatar_url = excluded.avatar_url,
    search_text = excluded.search_text`;
const DELETE = "DELETE FROM user_directory WHERE user_id = ?";
const ADD_PUBLIC = "INSERT OR IGNORE INTO user_directory_public_rooms (room_id) VALUES (?)";
const REMOVE_PUBLIC = "DELETE FROM user_directory_public_rooms WHERE room_id = ?";
// ?1 the folded terms (JSON list), ?2 1 to list everyone, ?3 the searcher, ?4 the first term, ?5 the limit.
// The searcher shares no room with themselves: they are found like anyone else, through a public room (as Synapse).
const SEARCH = `
  SELECT d.user_id, d.display_name, d.avatar_url FROM user_directory d
  WHERE NOT EXISTS (SELECT 1 FROM json_each(?1) t WHERE instr(d.search_text, t.value) = 0)
    AND (?2 = 1
      OR d.user_id IN (SELECT b.user_id FROM room_memberships a JOIN room_memberships b ON b.room_id = a.room_id
                       WHERE a.user_id = ?3 AND a.membership = 'join' AND b.membership = 'join' AND b.user_id != ?3)
      OR d.user_id IN (SELECT m.user_id FROM user_directory_public_rooms p JOIN room_memberships m ON m.room_id = p.room_id
                       WHERE m.membership = 'join'))
  ORDER BY instr(d.search_text, ?4), d.search_text LIMIT ?5`;

export function createUserDirectoryRepo(db: Database) {
  return {
    upsert(user: DirectoryUser, searchText: string): void {
      db.query(UPSERT).run(user.user_id, user.display_name, user.avatar_url, searchText);
    },
    remove(userId: string): void {
      db.query(DELETE).run(userId);
    },
    setPublicRoom(roomId: string, isPublic: boolean): void {
      db.query(isPublic ? ADD_PUBLIC : REMOVE_PUBLIC).run(roomId);
    },
    /** Up to `limit` users, those whose text holds the first term earliest first. */
    search(searcher: string, terms: readonly string[], all: boolean, limit: number): DirectoryUser[] {
      return db.query<DirectoryUser, (string | number)[]>(SEARCH).all(JSON.stringify(terms), all ? 1 : 0, searcher, terms[0] ?? "", limit);
    },
  };
}

/**
 * Lazy-loading members (spec "Lazy-loading room members"): remembers, per device, which
 * `m.room.member` event of each room member that device was last sent, so an incremental `/sync`
 * can skip redundant membership events. Memory is bounded (least recently used devices are
 * dropped); a device it forgot simply gets redundant events again, which the spec allows.
 */

const maxDevices = 2_000;
const maxMembersPerRoom = 5_000;

type RoomMembers = Map<string, string>;

export function createLazyMembersCache() {
  const devices = new Map<string, Map<string, RoomMembers>>();

  function deviceRooms(key: string): Map<string, RoomMembers> {
    let rooms = devices.get(key);
    if (rooms) {
      devices.delete(key);
    } else {
      rooms = new Map();
      if (devices.size >= maxDevices) devices.delete(devices.keys().next().value!);
    }
    devices.set(key, rooms);
    return rooms;
  }

  return {
    /** An initial sync starts the device from nothing. */
    reset(userId: string, deviceId: string): void {
      devices.delete(`${userId}|${deviceId}`);
    },

    /** Whether this device already holds exactly this membership event of `member`. */
    sent(userId: string, deviceId: string, roomId: string, member: string, eventId: string): boolean {
      return devices.get(`${userId}|${deviceId}`)?.get(roomId)?.get(member) === eventId;
    },

    /** Records membership events as sent to the device. */
    remember(userId: string, deviceId: string, roomId: string, sent: Iterable<[member: string, eventId: string]>): void {
      const rooms = deviceRooms(`${userId}|${deviceId}`);
      let members = rooms.get(roomId);
      if (!members) rooms.set(roomId, (members = new Map()));
      for (const [member, eventId] of sent) {
        if (members.size >= maxMembersPerRoom && !members.has(member)) members.delete(members.keys().next().value!);
        members.set(member, eventId);
      }
    },
  };
}
export type LazyMembersCache = ReturnType<typeof createLazyMembersCache>;

/**
 * Invite blocking (spec v1.18, MSC4380): a user whose `m.invite_permission_config` account data
 * says `block_all: true` receives no invites. Invites to them are refused with 403
 * `M_INVITE_BLOCKED` (local and over federation), and invites already stored are left out of
 * `/sync` while the block holds. The MSC's unstable account data type counts too.
 */
import type { Storage } from "../../storage";
import { GLOBAL_ROOM } from "../../storage/account-data";
import { MatrixError } from "../matrix-error";

const TYPES = ["m.invite_permission_config", "org.matrix.msc4380.invite_permission_config"] as const;

export const inviteBlocked = (userId: string) => new MatrixError(403, "M_INVITE_BLOCKED", `${userId} does not accept invites`);

/** Whether the user blocks every invite. */
export function invitesBlocked(storage: Storage, userId: string): boolean {
  return TYPES.some((type) => {
    const json = storage.accountData.getAccountData(userId, GLOBAL_ROOM, type);
    if (json === undefined) return false;
    const content = JSON.parse(json) as { block_all?: unknown };
    return content.block_all === true;
  });
}

/** 403 `M_INVITE_BLOCKED` when the (local) user blocks invites. */
export function assertInvitable(storage: Storage, userId: string): void {
  if (invitesBlocked(storage, userId)) throw inviteBlocked(userId);
}

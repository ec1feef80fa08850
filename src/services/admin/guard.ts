/**
 * Who may use the admin API: accounts with the admin flag (set by `conduit admin create-user
 * --admin`, the admin room or another admin). Every admin action is logged with who did it, one
 * structured line each, before it runs.
 */
import type { Logger } from "../../runtime/logger";
import type { Storage } from "../../storage";
import type { Requester } from "../accounts/access-tokens";
import { forbidden } from "../matrix-error";

export function createAdminGuard(storage: Storage, log: Logger) {
  const isAdmin = (userId: string) => storage.accounts.getUser(userId)?.admin === 1;
  return {
    isAdmin,

    /** 403 `M_FORBIDDEN` unless the requester is a server admin; logs `action` on `target` by them. */
    authorize(requester: Requester, action: string, target: Record<string, unknown> = {}): void {
      if (!isAdmin(requester.userId)) throw forbidden("You are not a server admin");
      log.info("admin action", { admin: requester.userId, action, ...target });
    },
  };
}
export type AdminGuard = ReturnType<typeof createAdminGuard>;

/** The requester an admin action acts as when it makes `userId` do something (leave, join, send). */
export const actingAs = (userId: string): Requester => ({ userId, deviceId: "", isGuest: false });

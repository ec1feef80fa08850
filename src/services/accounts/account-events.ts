/**
 * Changes to accounts that other areas act on: the rooms work updates `m.room.member` events when
 * a profile changes (spec "Events on Change of Profile Information") and makes a deactivated user
 * leave their rooms. Listeners run after the change is committed, in subscription order, and the
 * request that made the change waits for them.
 */

export type AccountEvent =
  | { type: "profile"; userId: string; displayname: string | null; avatarUrl: string | null }
  | { type: "deactivated"; userId: string };

export type AccountListener = (event: AccountEvent) => void | Promise<void>;

export function createAccountEvents() {
  const listeners: AccountListener[] = [];
  return {
    subscribe(listener: AccountListener): void {
      listeners.push(listener);
    },
    async emit(event: AccountEvent): Promise<void> {
      for (const listener of listeners) await listener(event);
    },
  };
}
export type AccountEvents = ReturnType<typeof createAccountEvents>;

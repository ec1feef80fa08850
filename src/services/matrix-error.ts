/**
 * The one error type services throw. The API layer turns it into the spec's error body
 * `{"errcode": "M_…", "error": "…"}` with its HTTP status, plus any extra fields the spec defines
 * for that code (`retry_after_ms`, `soft_logout`, UIA's `flows`/`session`).
 */
export class MatrixError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "MatrixError";
  }

  toJSON(): Record<string, unknown> {
    return { ...this.extra, errcode: this.errcode, error: this.message };
  }
}

export const badJson = (msg: string) => new MatrixError(400, "M_BAD_JSON", msg);
export const notJson = (msg: string) => new MatrixError(400, "M_NOT_JSON", msg);
export const invalidParam = (msg: string) => new MatrixError(400, "M_INVALID_PARAM", msg);
export const missingParam = (msg: string) => new MatrixError(400, "M_MISSING_PARAM", msg);
export const forbidden = (msg: string) => new MatrixError(403, "M_FORBIDDEN", msg);
export const guestAccessForbidden = (msg: string) => new MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", msg);
export const notFound = (msg: string) => new MatrixError(404, "M_NOT_FOUND", msg);
export const tooLarge = (msg: string) => new MatrixError(413, "M_TOO_LARGE", msg);
export const unrecognized = (msg: string, status = 404) => new MatrixError(status, "M_UNRECOGNIZED", msg);
export const missingToken = () => new MatrixError(401, "M_MISSING_TOKEN", "Missing access token");
export const unknownToken = (msg = "Unknown access token") => new MatrixError(401, "M_UNKNOWN_TOKEN", msg, { soft_logout: false });
/** A name an application service holds (or one outside the namespace of the appservice asking). */
export const exclusive = (msg: string, status = 400) => new MatrixError(status, "M_EXCLUSIVE", msg);
/** Binding or inviting by third-party identifier: this server talks to no identity server. */
export const identityServerNotTrusted = () =>
  new MatrixError(400, "M_SERVER_NOT_TRUSTED", "This server trusts no identity server, so it cannot bind or invite by third-party identifier");
export const userDeactivated = () => new MatrixError(403, "M_USER_DEACTIVATED", "This account has been deactivated");
/** Spec "Account locking": the client should not log the user out (soft_logout false) but stop. */
export const userLocked = () => new MatrixError(401, "M_USER_LOCKED", "This account has been locked", { soft_logout: false });
/** Spec "Account suspension": the account may read, leave and redact its own events, nothing more. */
export const userSuspended = (action: string) => new MatrixError(403, "M_USER_SUSPENDED", `This account is suspended and may not ${action}`);

export function limitExceeded(retryAfterMs: number): MatrixError {
  const ms = Math.max(1, Math.ceil(retryAfterMs));
  return new MatrixError(429, "M_LIMIT_EXCEEDED", "Too many requests", { retry_after_ms: ms }, {
    "Retry-After": String(Math.ceil(ms / 1000)),
  });
}

/**
 * The outcome of an authorization check: allowed, or rejected with a reason a human can act on
 * (`core` returns results; `services` turn rejections into Matrix errors).
 */

export type AuthResult = { allowed: true } | { allowed: false; reason: string };

export const ALLOWED: AuthResult = Object.freeze({ allowed: true });

export function reject(reason: string): AuthResult {
  return { allowed: false, reason };
}

/**
 * Registration tokens made by admins (Synapse's admin API): create (a given token or a random one
 * of `length` characters), list (all, or only the still valid or invalid ones), read, change the
 * allowance or expiry, delete. While any exists, registration asks for a token (UIA
 * `m.login.registration_token`), and each registration uses one.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../../runtime/clock";
import type { Storage } from "../../storage";
import type { RegistrationTokenRow } from "../../storage/registration-tokens";
import { invalidParam, notFound } from "../matrix-error";

/** Synapse's grammar for tokens: the unreserved URI characters, at most 64 of them. */
const TOKEN_GRAMMAR = /^[A-Za-z0-9._~-]{1,64}$/;
const TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-";
const DEFAULT_LENGTH = 16;

export interface NewToken {
  token?: string;
  uses_allowed?: number | null;
  expiry_time?: number | null;
  length?: number;
}

export interface TokenChanges {
  uses_allowed?: number | null;
  expiry_time?: number | null;
}

function checkAllowance(uses: number | null | undefined): void {
  if (uses !== undefined && uses !== null && (!Number.isInteger(uses) || uses < 0)) throw invalidParam("uses_allowed must be a non-negative integer or null");
}

function randomToken(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += TOKEN_ALPHABET[b % TOKEN_ALPHABET.length];
  return out;
}

export function createRegistrationTokens(storage: Storage, clock: Clock) {
  const tokens = storage.registrationTokens;

  const isValid = (row: RegistrationTokenRow) =>
    (row.uses_allowed === null || row.pending + row.completed < row.uses_allowed) && (row.expiry_time === null || row.expiry_time > clock.now());

  function checkExpiry(expiry: number | null | undefined): void {
    if (expiry === undefined || expiry === null) return;
    if (!Number.isInteger(expiry) || expiry < 0) throw invalidParam("expiry_time must be a timestamp in milliseconds or null");
    if (expiry < clock.now()) throw invalidParam("expiry_time must not be in the past");
  }

  function existing(token: string): RegistrationTokenRow {
    const row = tokens.get(token);
    if (!row) throw notFound(`No such registration token: ${token}`);
    return row;
  }

  return {
    /** `valid` true: only tokens that can still register someone; false: only those that cannot. */
    list(valid?: boolean): { registration_tokens: RegistrationTokenRow[] } {
      const rows = tokens.all();
      return { registration_tokens: valid === undefined ? rows : rows.filter((r) => isValid(r) === valid) };
    },

    get: existing,

    create(req: NewToken): RegistrationTokenRow {
      checkAllowance(req.uses_allowed);
      checkExpiry(req.expiry_time);
      if (req.token !== undefined && req.length !== undefined) throw invalidParam("Give either token or length, not both");
      const length = req.length ?? DEFAULT_LENGTH;
      if (!Number.isInteger(length) || length < 1 || length > 64) throw invalidParam("length must be an integer from 1 to 64");
      if (req.token !== undefined && !TOKEN_GRAMMAR.test(req.token)) throw invalidParam("token must be 1 to 64 of the characters A-Z, a-z, 0-9, . _ ~ -");
      const token = req.token ?? randomToken(length);
      if (!tokens.insert(token, req.uses_allowed ?? null, req.expiry_time ?? null)) throw invalidParam(`Token already exists: ${token}`);
      return existing(token);
    },

    /** Fields left out keep their value; null clears a limit. */
    update(token: string, changes: TokenChanges): RegistrationTokenRow {
      const row = existing(token);
      checkAllowance(changes.uses_allowed);
      checkExpiry(changes.expiry_time);
      const uses = changes.uses_allowed === undefined ? row.uses_allowed : changes.uses_allowed;
      const expiry = changes.expiry_time === undefined ? row.expiry_time : changes.expiry_time;
      tokens.update(token, uses, expiry);
      return existing(token);
    },

    delete(token: string): void {
      if (!tokens.delete(token)) throw notFound(`No such registration token: ${token}`);
    },
  };
}
export type RegistrationTokens = ReturnType<typeof createRegistrationTokens>;

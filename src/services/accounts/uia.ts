/**
 * User-Interactive Authentication (spec "User-Interactive Authentication API"): an endpoint offers
 * flows (ordered lists of stage types); the client completes the stages of one flow, one request
 * at a time, carrying the `session` the first 401 gave it. Sessions live in memory for a limited
 * time and are bound to the operation (method and path) and user they started with, so a session
 * completed for one request cannot authorise another. A session is used up when its operation
 * succeeds.
 *
 * Stages offered here: `m.login.dummy`, `m.login.registration_token` (the configured token, or
 * one an admin made: those count their uses, taken when the registration runs), and
 * `m.login.password` (the requester's own password).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { PasswordChecker } from "./passwords";
import type { Clock } from "../../runtime/clock";
import { MatrixError, badJson, forbidden } from "../matrix-error";
import type { RateLimiter } from "../rate-limit";

export const LOGIN_DUMMY = "m.login.dummy";
export const LOGIN_PASSWORD = "m.login.password";
export const LOGIN_REGISTRATION_TOKEN = "m.login.registration_token";

export type Flow = readonly string[];

/** What one UIA-protected request brings. */
export interface UiaRequest {
  /** The operation a session is bound to, e.g. `POST /_matrix/client/v3/register`. */
  operation: string;
  /** The authenticated user, for endpoints that require an access token. */
  userId?: string;
  /** The `auth` dict of the request body, as sent. */
  auth: unknown;
  clientAddress: string;
  /** The operation's own parameters: the session keeps those its first request carried. */
  params?: unknown;
}

interface Session {
  id: string;
  operation: string;
  userId: string | undefined;
  completed: string[];
  expiresMs: number;
  /** An admin-made registration token the session proved; its use is counted when the operation runs. */
  storedToken?: string;
  /** The parameters of the session's first request. */
  params?: unknown;
  /** What the operation left to answer a replay of the finished session with (see `run`'s `keep`). */
  outcome?: unknown;
}

/** Registration tokens admins made (`storage.registrationTokens`). */
export interface StoredRegistrationTokens {
  any(): boolean;
  get(token: string): { uses_allowed: number | null; pending: number; completed: number; expiry_time: number | null } | null;
  use(token: string, now: number): boolean;
  release(token: string): void;
}

/** Valid credentials of a user other than the requester. */
class WrongUser extends MatrixError {
  constructor() {
    super(403, "M_FORBIDDEN", "The credentials are not those of the requesting user");
  }
}

/** The 401 that asks for (more) authentication; carries a stage's error when an attempt failed. */
export class UiaRequired extends MatrixError {
  constructor(
    readonly body: { flows: { stages: string[] }[]; params: Record<string, unknown>; session: string; completed?: string[] },
    readonly stageError?: MatrixError,
  ) {
    super(401, stageError?.errcode ?? "M_UNAUTHORIZED", stageError?.message ?? "Additional authentication is required");
  }

  override toJSON(): Record<string, unknown> {
    // Without a failed attempt the body has no errcode: clients read one as "that stage failed".
    return this.stageError ? { ...this.body, errcode: this.errcode, error: this.message } : { ...this.body };
  }
}

const SESSION_TTL_MS = 30 * 60_000;
/** Unauthenticated clients can open sessions; past this many, the oldest are forgotten. */
const MAX_SESSIONS = 10_000;

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

function isPrefix(prefix: readonly string[], flow: Flow): boolean {
  return prefix.length <= flow.length && prefix.every((stage, i) => flow[i] === stage);
}

export interface UiaDeps {
  clock: Clock;
  rateLimits: RateLimiter;
  passwords: PasswordChecker;
  registrationToken: string | undefined;
  storedTokens: StoredRegistrationTokens;
}

export function createUiaService({ clock, rateLimits, passwords, registrationToken, storedTokens }: UiaDeps) {
  // Map order is creation order and every session lives as long, so the expired ones are in front.
  const sessions = new Map<string, Session>();

  function openSession(req: UiaRequest, now: number): Session {
    for (const [id, s] of sessions) {
      if (s.expiresMs > now && sessions.size < MAX_SESSIONS) break;
      sessions.delete(id);
    }
    const session: Session = {
      id: randomBytes(18).toString("base64url"),
      operation: req.operation,
      userId: req.userId,
      completed: [],
      expiresMs: now + SESSION_TTL_MS,
      params: req.params,
    };
    sessions.set(session.id, session);
    return session;
  }

  function findSession(id: unknown, req: UiaRequest, now: number): Session {
    if (typeof id !== "string") throw badJson("Invalid field 'auth.session': expected a string");
    const session = sessions.get(id);
    if (!session || session.expiresMs <= now) throw new MatrixError(400, "M_UNKNOWN", "Unknown or expired session");
    if (session.operation !== req.operation || session.userId !== req.userId) {
      throw forbidden("This authentication session was started for another request");
    }
    return session;
  }

  /** Whether registration asks for a token: one is configured, or admins made some. */
  const tokenRequired = () => registrationToken !== undefined || storedTokens.any();

  /** An admin-made token with uses left and not expired. */
  function storedTokenUsable(token: string): boolean {
    const row = storedTokens.get(token);
    if (!row) return false;
    const usesLeft = row.uses_allowed === null || row.pending + row.completed < row.uses_allowed;
    return usesLeft && (row.expiry_time === null || row.expiry_time > clock.now());
  }

  /** Which kind of token `token` is, if any; failures use the failed-login allowance, so guessing is slow. */
  function checkToken(token: unknown, clientAddress: string): "configured" | "stored" | undefined {
    if (!tokenRequired()) return undefined;
    const limitKey = `${clientAddress}\u0000${LOGIN_REGISTRATION_TOKEN}`;
    rateLimits.check("failed_login", limitKey);
    if (typeof token === "string") {
      // The configured token compares in constant time.
      if (registrationToken !== undefined && timingSafeEqual(digest(token), digest(registrationToken))) return "configured";
      if (storedTokenUsable(token)) return "stored";
    }
    rateLimits.record("failed_login", limitKey);
    return undefined;
  }

  function registrationTokenValid(token: unknown, clientAddress: string): boolean {
    return checkToken(token, clientAddress) !== undefined;
  }

  /** Completes one stage or throws the reason it failed (the caller reports it inside the 401). */
  async function attemptStage(type: string, auth: Record<string, unknown>, req: UiaRequest, session: Session): Promise<void> {
    switch (type) {
      case LOGIN_DUMMY:
        return;
      case LOGIN_REGISTRATION_TOKEN: {
        if (!tokenRequired()) break;
        const kind = checkToken(auth.token, req.clientAddress);
        if (kind === "stored") session.storedToken = auth.token as string;
        if (kind) return;
        throw forbidden("Invalid registration token");
      }
      case LOGIN_PASSWORD: {
        if (req.userId === undefined) break;
        const userId = await passwords.check(auth, req.clientAddress);
        if (userId !== req.userId) throw new WrongUser();
        return;
      }
    }
    throw forbidden(`Authentication type '${type}' is not supported here`);
  }

  function required(session: Session, flows: readonly Flow[], stageError?: MatrixError): UiaRequired {
    return new UiaRequired(
      {
        flows: flows.map((f) => ({ stages: [...f] })),
        params: {},
        session: session.id,
        // After an attempt the stages done so far are listed, none included (as Synapse answers).
        ...(session.completed.length > 0 || stageError ? { completed: [...session.completed] } : {}),
      },
      stageError,
    );
  }

  /** Returns the session once a whole flow is complete; throws the 401 asking for more otherwise. */
  async function authenticate(req: UiaRequest, flows: readonly Flow[]): Promise<Session> {
    const now = clock.now();
    if (req.auth !== undefined && (typeof req.auth !== "object" || req.auth === null || Array.isArray(req.auth))) {
      throw badJson("Invalid field 'auth': expected an object");
    }
    const auth = req.auth as Record<string, unknown> | undefined;
    const session = auth?.session === undefined ? openSession(req, now) : findSession(auth.session, req, now);
    // No auth at all: the first request of the dance, which must be answered 401 (never succeeds).
    if (auth === undefined) throw required(session, flows);

    if (auth.type !== undefined) {
      if (typeof auth.type !== "string") throw badJson("Invalid field 'auth.type': expected a string");
      const type = auth.type;
      // Stages are completed in flow order; a stage already done stays done.
      if (!session.completed.includes(type)) {
        const next = [...session.completed, type];
        if (!flows.some((f) => isPrefix(next, f))) {
          throw required(session, flows, forbidden(`Stage '${type}' is not expected at this point of any flow`));
        }
        try {
          await attemptStage(type, auth, req, session);
        } catch (e) {
          // Another user's credentials are no step towards this one's: a plain 403, as in Synapse.
          if (e instanceof MatrixError && e.status !== 429 && !(e instanceof WrongUser)) throw required(session, flows, e);
          throw e;
        }
        session.completed.push(type);
      }
    }
    if (flows.some((f) => f.length === session.completed.length && isPrefix(session.completed, f))) return session;
    throw required(session, flows);
  }

  /** The live session `auth` names for this request, if any (never throws: the dance judges it). */
  function sessionOf(req: UiaRequest): Session | undefined {
    const id = (req.auth as { session?: unknown } | null | undefined)?.session;
    const session = typeof id === "string" ? sessions.get(id) : undefined;
    const live = session && session.expiresMs > clock.now() && session.operation === req.operation && session.userId === req.userId;
    return live ? session : undefined;
  }

  return {
    registrationTokenValid,
    tokenRequired,

    /** The parameters the first request of this request's session carried (as Synapse keeps them). */
    rememberedParams(req: UiaRequest): unknown {
      return sessionOf(req)?.params;
    },

    /** What a finished session's operation kept for replays (`run` with `keep`), if it is one. */
    outcomeOf(req: UiaRequest): unknown {
      return sessionOf(req)?.outcome;
    },

    /**
     * Runs `operation` once the request has completed one of `flows`; the session is used up when
     * the operation succeeds, or with `keep` holds what it returns until it expires, for
     * `outcomeOf` to answer a retry with. Otherwise throws the 401 describing what is still needed.
     */
    async run<T>(req: UiaRequest, flows: readonly Flow[], operation: () => Promise<T> | T, keep?: (result: T) => unknown): Promise<T> {
      const session = await authenticate(req, flows);
      const token = session.storedToken;
      if (token !== undefined && !storedTokens.use(token, clock.now())) {
        throw required(session, flows, forbidden("The registration token has been used up or has expired"));
      }
      let result: T;
      try {
        result = await operation();
      } catch (e) {
        if (token !== undefined) storedTokens.release(token);
        throw e;
      }
      if (keep) session.outcome = keep(result);
      else sessions.delete(session.id);
      return result;
    },
  };
}
export type UiaService = ReturnType<typeof createUiaService>;

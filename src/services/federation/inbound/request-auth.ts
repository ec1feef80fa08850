/**
 * Authenticates a request from another server: the X-Matrix header must name us as destination
 * (when it names one at all), and its signature over {method, uri, origin, destination, content}
 * must verify with a current key of the origin. Every failure is `M_UNAUTHORIZED`: 401, or 400 for an
 * origin that is not a server name.
 */
import { decodeBase64, isValidServerName, verifyEd25519, type JsonValue } from "../../../core";
import { MatrixError } from "../../matrix-error";
import type { Clock } from "../../../runtime/clock";
import type { KeyRing } from "../keys/key-ring";
import { parseXMatrix, requestSignedBytes } from "../../../net/x-matrix";

export interface InboundRequest {
  method: string;
  /** Path and query as received. */
  uri: string;
  authorization: string | null | undefined;
  content?: JsonValue;
  /** The body as received, for a body canonical JSON cannot re-encode (a lenient transaction). */
  contentText?: string;
}

const unauthorized = (msg: string) => new MatrixError(401, "M_UNAUTHORIZED", msg);

export function createRequestAuthenticator(serverName: string, keys: KeyRing, clock: Clock) {
  /** Resolves to the origin server's name, or throws 401. */
  return async function authenticateRequest(req: InboundRequest): Promise<string> {
    const params = parseXMatrix(req.authorization);
    if (!params) throw unauthorized("Missing or malformed X-Matrix Authorization header");
    if (params.destination !== undefined && params.destination !== serverName) {
      throw unauthorized(`This request is addressed to ${params.destination}, not to this server`);
    }
    // A malformed name is a bad request (400, as Synapse answers), not a signature to check.
    if (!isValidServerName(params.origin)) throw new MatrixError(400, "M_UNAUTHORIZED", "The origin is not a valid server name");
    if (params.origin === serverName) throw unauthorized("Requests from this server's own name are not accepted");
    // Requests must be signed with a key that is current now (old keys only sign events).
    const key = await keys.getVerifyKey(params.origin, params.key, clock.now());
    if (!key) throw unauthorized(`No valid key ${params.key} is known for ${params.origin}`);
    let valid: boolean;
    try {
      const bytes = requestSignedBytes({ ...req, origin: params.origin, destination: serverName }, req.contentText);
      valid = verifyEd25519(decodeBase64(params.sig), bytes, key);
    } catch {
      valid = false; // a signature that is not Base64, or a body no bytes can be signed for
    }
    if (!valid) throw unauthorized("Invalid request signature");
    return params.origin;
  };
}
export type RequestAuthenticator = ReturnType<typeof createRequestAuthenticator>;

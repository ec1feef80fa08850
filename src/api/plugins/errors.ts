/**
 * Maps every failure to a Matrix error body. MatrixErrors keep their status and code; body parse
 * failures become `M_NOT_JSON`; schema mismatches `M_BAD_JSON` naming the field; an unknown path
 * 404 `M_UNRECOGNIZED` (405 when the path exists for other methods); anything else is logged with a
 * request id and answered 500 `M_UNKNOWN` (503 when the disk is full), so internals never leak to clients.
 */
import { Elysia, ValidationError } from "elysia";
import { MatrixError, badJson, invalidParam, notJson, unrecognized } from "../../services/matrix-error";
import type { Logger } from "../../runtime/logger";

/** Answers which methods a path is routed for; filled in once every route is registered. */
export type MethodsForPath = (path: string) => string[];

function fromValidation(error: ValidationError): MatrixError {
  const first = error.all[0];
  const path = first && "path" in first ? first.path.replace(/^\//, "").replaceAll("/", ".") : "";
  const what = first && "summary" in first && first.summary ? first.summary : "does not match the expected schema";
  if (error.type === "body") return badJson(path ? `Invalid field '${path}': ${what}` : `Invalid body: ${what}`);
  return invalidParam(path ? `Invalid ${error.type} parameter '${path}': ${what}` : `Invalid ${error.type}: ${what}`);
}

/**
 * SQLite failures that are the host's, not the request's: a full disk is 503 (the client may retry
 * once the operator frees space), an I/O error 500. The failed transaction rolled back as a whole.
 */
function storageFailure(error: unknown, requestId: string): MatrixError | undefined {
  const code = error instanceof Error && error.name === "SQLiteError" ? (error as { code?: unknown }).code : undefined;
  if (code === "SQLITE_FULL") {
    return new MatrixError(503, "M_UNKNOWN", `The server's storage is full; nothing was saved (request ${requestId})`);
  }
  if (typeof code === "string" && code.startsWith("SQLITE_IOERR")) {
    return new MatrixError(500, "M_UNKNOWN", `The server could not access its storage; nothing was saved (request ${requestId})`);
  }
  return undefined;
}

export const errors = (log: Logger, methodsForPath: MethodsForPath) =>
  new Elysia({ name: "errors" }).onError({ as: "global" }, ({ code, error, request, set }) => {
    let mx: MatrixError;
    if (error instanceof MatrixError) mx = error;
    else if (code === "PARSE") {
      const cause = (error as Error).cause;
      mx = cause instanceof MatrixError ? cause : notJson("Request body is not valid JSON");
    } else if (error instanceof ValidationError) mx = fromValidation(error);
    else if (code === "NOT_FOUND") {
      const path = new URL(request.url).pathname;
      mx = methodsForPath(path).length > 0
        ? unrecognized(`Method ${request.method} is not allowed on ${path}`, 405)
        : unrecognized(`Unrecognized request: ${request.method} ${path}`);
    } else {
      const requestId = crypto.randomUUID();
      log.error("unhandled error", { requestId, method: request.method, path: new URL(request.url).pathname, error });
      mx = storageFailure(error, requestId) ?? new MatrixError(500, "M_UNKNOWN", `Internal server error (request ${requestId})`);
    }
    set.status = mx.status;
    Object.assign(set.headers, mx.headers);
    set.headers["content-type"] = "application/json";
    return JSON.stringify(mx);
  });

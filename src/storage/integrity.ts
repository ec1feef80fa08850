/**
 * The database's full integrity check (`PRAGMA integrity_check`: every page, every index entry
 * against its table), over a read-only connection of its own, so it can run beside the running
 * server (in the background after an unclean shutdown) or on a stopped one (`conduit verify`).
 * It reads the whole file: on a large database that is minutes, which is why it is not on the
 * start path.
 */
import { Database } from "bun:sqlite";
import { errorMessage } from "../core";

export interface IntegrityReport {
  ok: boolean;
  /** SQLite's descriptions of what is wrong (at most `maxProblems`); empty when ok. */
  problems: string[];
  /** How long the check took, in ms. */
  ms: number;
}

export function checkIntegrity(file: string, maxProblems = 100): IntegrityReport {
  const started = performance.now();
  let db: Database | undefined;
  try {
    db = new Database(file, { readonly: true });
    db.run("PRAGMA busy_timeout = 5000");
    const rows = db.query<{ integrity_check: string }, []>(`PRAGMA integrity_check(${Math.max(1, Math.floor(maxProblems))})`).all();
    const problems = rows.map((r) => r.integrity_check).filter((p) => p !== "ok");
    return { ok: problems.length === 0, problems, ms: performance.now() - started };
  } catch (e) {
    // A file too damaged to read its schema fails before the pragma answers.
    return { ok: false, problems: [errorMessage(e)], ms: performance.now() - started };
  } finally {
    db?.close();
  }
}

/** Messages between the main thread and the integrity check worker. */
import type { IntegrityReport } from "../../storage/integrity";

export interface CheckRequest {
  file: string;
}

export type FromIntegrityWorker = { kind: "checked"; report: IntegrityReport } | { kind: "failed"; error: string };

/**
 * What the write-ahead log of a live database holds, page by page: every frame of the current
 * generation (since the last checkpoint restarted the log) attributed to the b-tree its page
 * belongs to (SQLite's `dbstat`). A commit writes a frame for each page it changed, so the shares
 * say which tables and indexes the writes go to.
 */
import { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";

const WAL_HEADER = 32;
const FRAME_HEADER = 24;

export interface WalPages {
  commits: number;
  frames: number;
  /** "name leaf" / "name internal" / "name overflow" -> frames. */
  byTree: Map<string, number>;
}

export function walPages(dbFile: string): WalPages {
  const wal = readFileSync(`${dbFile}-wal`);
  const view = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
  const pageSize = view.getUint32(8);
  const salt1 = view.getUint32(16);
  const salt2 = view.getUint32(20);
  // Frames of the current generation carry the header's salts; those after it are left from the
  // one before. Only frames up to the last commit frame are part of the database.
  const pages: number[] = [];
  let committed = 0;
  let commits = 0;
  for (let at = WAL_HEADER; at + FRAME_HEADER + pageSize <= wal.byteLength; at += FRAME_HEADER + pageSize) {
    if (view.getUint32(at + 8) !== salt1 || view.getUint32(at + 12) !== salt2) break;
    pages.push(view.getUint32(at));
    if (view.getUint32(at + 4) !== 0) {
      committed = pages.length;
      commits++;
    }
  }
  const db = new Database(dbFile, { readonly: true });
  try {
    const tree = new Map<number, string>();
    for (const row of db.query<{ name: string; pageno: number; pagetype: string }, []>("SELECT name, pageno, pagetype FROM dbstat").all()) {
      tree.set(row.pageno, `${row.name} ${row.pagetype}`);
    }
    const byTree = new Map<string, number>();
    for (const page of pages.slice(0, committed)) {
      const name = tree.get(page) ?? "free";
      byTree.set(name, (byTree.get(name) ?? 0) + 1);
    }
    return { commits, frames: committed, byTree };
  } finally {
    db.close();
  }
}

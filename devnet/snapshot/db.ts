import { openDevDb, type DevDb } from '../sqliteDb'

export type { SqlValue } from '../sqliteDb'

/** The local hub's own SQLite file (not the poolwarden store); the hub serialises its writes itself. */
export type HubDb = DevDb

/** Columns added after the first hub files were made: added to an older file when missing. */
const ADDED: { table: string; column: string; ddl: string }[] = [
  { table: 'proposals', column: 'plugins', ddl: "plugins TEXT NOT NULL DEFAULT '{}'" },
  { table: 'proposals', column: 'labels', ddl: "labels TEXT NOT NULL DEFAULT '[]'" },
  { table: 'proposals', column: 'scores_by_strategy', ddl: "scores_by_strategy TEXT NOT NULL DEFAULT '[]'" },
  { table: 'votes', column: 'vp_by_strategy', ddl: "vp_by_strategy TEXT NOT NULL DEFAULT '[]'" },
]

export async function openHubDb(path: string): Promise<HubDb> {
  const db = await openDevDb(path, `
    CREATE TABLE IF NOT EXISTS spaces (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, about TEXT NOT NULL DEFAULT '', network TEXT NOT NULL,
      symbol TEXT NOT NULL, admins TEXT NOT NULL DEFAULT '[]', members TEXT NOT NULL DEFAULT '[]', created INTEGER NOT NULL,
      settings TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE IF NOT EXISTS proposals (
      id TEXT PRIMARY KEY, space TEXT NOT NULL REFERENCES spaces(id), author TEXT NOT NULL, title TEXT NOT NULL,
      body TEXT NOT NULL DEFAULT '', discussion TEXT NOT NULL DEFAULT '', choices TEXT NOT NULL, type TEXT NOT NULL,
      start INTEGER NOT NULL, "end" INTEGER NOT NULL, snapshot TEXT NOT NULL, network TEXT NOT NULL, symbol TEXT NOT NULL,
      quorum REAL NOT NULL DEFAULT 0, privacy TEXT NOT NULL DEFAULT '', app TEXT NOT NULL DEFAULT '',
      scores TEXT NOT NULL DEFAULT '[]', scores_total REAL NOT NULL DEFAULT 0, scores_updated INTEGER NOT NULL DEFAULT 0,
      votes INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, ipfs TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX IF NOT EXISTS proposals_space_created ON proposals (space, created);
    CREATE TABLE IF NOT EXISTS votes (
      id TEXT PRIMARY KEY, ipfs TEXT NOT NULL, voter TEXT NOT NULL, space TEXT NOT NULL, proposal TEXT NOT NULL,
      choice TEXT NOT NULL, reason TEXT NOT NULL, app TEXT NOT NULL, metadata TEXT NOT NULL, vp REAL NOT NULL,
      created INTEGER NOT NULL, sig TEXT NOT NULL, UNIQUE (voter, proposal, space)
    );
    CREATE INDEX IF NOT EXISTS votes_proposal_created ON votes (proposal, created);
    CREATE TABLE IF NOT EXISTS messages (
      id TEXT PRIMARY KEY, ipfs TEXT NOT NULL, address TEXT NOT NULL, timestamp INTEGER NOT NULL, space TEXT NOT NULL,
      type TEXT NOT NULL, sig TEXT NOT NULL, received INTEGER NOT NULL, envelope TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX IF NOT EXISTS messages_ipfs ON messages (ipfs);
  `)
  for (const a of ADDED) {
    const cols = await db.all<{ name: string }>(`PRAGMA table_info(${a.table})`)
    if (!cols.some((c) => c.name === a.column)) await db.exec(`ALTER TABLE ${a.table} ADD COLUMN ${a.ddl}`)
  }
  return db
}

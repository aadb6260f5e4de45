// Opens the SQLite database (better-sqlite3, WAL) and wraps it in kysely.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import type { Database } from './schema.js';
import { SEEN_KEY_SQL_FUNCTION, seenKey } from './seen-key.js';

export interface DatabaseHandle {
  /** The raw connection, for hot paths that need prepared statements and pragmas. */
  sqlite: BetterSqlite3.Database;
  db: Kysely<Database>;
  path: string;
  close(): Promise<void>;
}

/** Raw connection behind each kysely instance openDatabase made (kysely does not expose it). */
const rawConnections = new WeakMap<Kysely<Database>, BetterSqlite3.Database>();

/**
 * The better-sqlite3 connection behind `db`, for hot paths that run cached prepared statements.
 * kysely's SqliteDialect uses this one connection for everything, so statements run on it inside
 * `db.transaction().execute(...)` belong to that transaction.
 */
export function sqliteOf(db: Kysely<Database>): BetterSqlite3.Database {
  const sqlite = rawConnections.get(db);
  if (!sqlite) throw new Error('sqliteOf: this kysely instance was not created by openDatabase');
  return sqlite;
}

/** Prepared statements per connection and SQL text: preparing costs more than running a small statement. */
const statementCache = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

export function prepared(sqlite: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement {
  let byText = statementCache.get(sqlite);
  if (!byText) statementCache.set(sqlite, (byText = new Map()));
  let stmt = byText.get(sql);
  if (!stmt) byText.set(sql, (stmt = sqlite.prepare(sql)));
  return stmt;
}

/**
 * Runs `fn` on the connection, reserved for it, with synchronous=NORMAL (and optionally a larger
 * WAL auto-checkpoint): its commits are not fsynced one by one, which is most of the cost of many
 * small transactions. For writes that may be lost on a power cut (not a crash) without harm, such
 * as sync pages whose resume point commits with them. No other query can run meanwhile, so nothing
 * else (a webhook's commit, which must be durable) ever commits in this mode.
 */
export async function withRelaxedDurability<T>(
  db: Kysely<Database>,
  fn: (conn: Kysely<Database>) => Promise<T>,
  opts: { walAutocheckpoint?: number } = {},
): Promise<T> {
  const sqlite = sqliteOf(db);
  return db.connection().execute(async (conn) => {
    const synchronous = sqlite.pragma('synchronous', { simple: true }) as number;
    const autocheckpoint = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
    sqlite.pragma('synchronous = NORMAL');
    if (opts.walAutocheckpoint !== undefined) sqlite.pragma(`wal_autocheckpoint = ${Math.floor(opts.walAutocheckpoint)}`);
    try {
      return await fn(conn);
    } finally {
      sqlite.pragma(`synchronous = ${synchronous}`);
      sqlite.pragma(`wal_autocheckpoint = ${autocheckpoint}`);
    }
  });
}

/** How long a connection waits for another connection's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * The settings of every connection to the database file: the main one and the webhook writer's
 * (a worker thread with its own connection; see store/write-thread.ts).
 */
export function configureConnection(sqlite: BetterSqlite3.Database): void {
  sqlite.pragma('journal_mode = WAL');
  // FULL: a 2xx to BTCPay promises the delivery survives a power cut, not only a crash.
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // Memory, deliberately (issue 17): a 2 MiB page cache per connection (SQLite's default, stated so
  // it cannot grow by accident; the main connection and the webhook writer each have one, the
  // checkpoint worker keeps SQLite's default of the same size) and no memory-mapped I/O, whose
  // mapped pages would count in the process's RSS.
  sqlite.pragma(`cache_size = ${CACHE_SIZE_KIB}`);
  sqlite.pragma('mmap_size = 0');
  // For migrations: the integer key of webhook_seen, computed as the writer computes it.
  sqlite.function(SEEN_KEY_SQL_FUNCTION, { deterministic: true }, (a: unknown, b: unknown) => seenKey(String(a), String(b)));
}

/** SQLite's page cache per connection, in KiB as `cache_size` takes it (negative = KiB). */
export const CACHE_SIZE_KIB = -2048;

/**
 * kysely transactions that take the write lock at BEGIN. The webhook writer commits from another
 * connection; a deferred transaction that read before it wrote would then fail at its first write
 * with SQLITE_BUSY (a stale snapshot, which busy_timeout cannot wait out). BEGIN IMMEDIATE waits
 * for the lock instead (busy_timeout) and reads after taking it.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

export function openDatabase(path: string): DatabaseHandle {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const sqlite = new BetterSqlite3(path);
  configureConnection(sqlite);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: sqlite }) });
  rawConnections.set(db, sqlite);
  let closed = false;
  return {
    sqlite,
    db,
    path,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // also closes the better-sqlite3 handle
    },
  };
}

const TRANSIENT_SQLITE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN']);

/** Faults worth a 503 (BTCPay retries it): a busy or full database, an I/O error. */
export function isTransientDbError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && [...TRANSIENT_SQLITE].some((c) => code === c || code.startsWith(`${c}_`));
}

/**
 * The lab's embedded SQLite database (`<dataDir>/lab.db`): opened with the settings that make
 * an acknowledged write survive a crash, brought up to the code's schema by ordered migrations,
 * and wrapped in the few synchronous calls the stores need (a read is a plain function call, so
 * `stateOf` and friends stay synchronous).
 *
 * libsql (see README, "Data") follows better-sqlite3's API with three differences this wrapper
 * hides: `Statement.get` adds an enumerable `_metadata` key to the row, `pluck()` is ignored by
 * `get`, and `Database.transaction` cannot nest.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Sqlite from 'libsql';
import { MIGRATIONS, type Migration } from './schema.js';

export const DATABASE_FILE_NAME = 'lab.db';

/**
 * How long a statement waits for another connection's lock (an `ebpf-lab` command reading the
 * database beside the server) before failing with SQLITE_BUSY.
 */
const BUSY_TIMEOUT_MS = 5_000;

/** A value SQLite stores: `undefined` is a type error rather than a silent NULL. */
export type SqlValue = string | number | bigint | null;

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

type Row = Record<string, unknown>;

export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
}

/** Where the lab keeps its database in a data directory. */
export function databaseFile(dataDir: string): string {
  return join(dataDir, DATABASE_FILE_NAME);
}

export class LabDatabase {
  private readonly statements = new Map<string, Sqlite.Statement>();
  private savepoints = 0;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly db: Sqlite.Database,
  ) {}

  /**
   * Opens (creating it and its directory if need be) and migrates the database at `file`.
   * Throws a DatabaseError naming the file when it is not a database, cannot be opened, or was
   * written by a newer ebpf-lab than this one.
   */
  static open(file: string, migrations: readonly Migration[] = MIGRATIONS): LabDatabase {
    checkMigrations(migrations);
    mkdirSync(dirname(file), { recursive: true });
    let db: Sqlite.Database;
    try {
      db = new Sqlite(file);
    } catch (error) {
      throw new DatabaseError(`${file}: cannot open the lab's database (${describe(error)})`, {
        cause: error,
      });
    }
    const database = new LabDatabase(file, db);
    try {
      database.configure();
      database.migrate(migrations);
    } catch (error) {
      database.close();
      if (error instanceof DatabaseError) throw error;
      throw new DatabaseError(`${file}: ${describe(error)}`, { cause: error });
    }
    return database;
  }

  /** The schema version the file is at: the number of migrations applied. */
  get schemaVersion(): number {
    return Number(this.value('PRAGMA user_version'));
  }

  /** The first row, or undefined when there is none. */
  get<T = Row>(sql: string, ...params: SqlValue[]): T | undefined {
    const row = this.statement(sql).get(params) as Row | undefined;
    if (row) delete row._metadata;
    return row as T | undefined;
  }

  /** The first column of the first row, or undefined when there is no row. */
  value<T = unknown>(sql: string, ...params: SqlValue[]): T | undefined {
    const row = this.get(sql, ...params);
    return row === undefined ? undefined : (Object.values(row)[0] as T);
  }

  all<T = Row>(sql: string, ...params: SqlValue[]): T[] {
    return this.statement(sql).all(params) as T[];
  }

  run(sql: string, ...params: SqlValue[]): RunResult {
    const { changes, lastInsertRowid } = this.statement(sql).run(params);
    return { changes, lastInsertRowid };
  }

  /** Runs statements that take no parameters (several, separated by semicolons). */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  /**
   * Runs `fn` in a transaction: committed (and, with synchronous=FULL, on disk) when it returns,
   * rolled back when it throws. Takes the write lock at the start (BEGIN IMMEDIATE), so a
   * transaction that reads and then writes cannot fail half-way on another connection's lock.
   * Nested calls become savepoints: an inner failure that the outer function catches undoes
   * only the inner part.
   */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) {
      const name = `nested_${++this.savepoints}`;
      this.db.exec(`SAVEPOINT ${name}`);
      try {
        const result = fn();
        if (result instanceof Promise) throw new TypeError('a transaction cannot be async');
        this.db.exec(`RELEASE ${name}`);
        return result;
      } catch (error) {
        this.db.exec(`ROLLBACK TO ${name}`);
        this.db.exec(`RELEASE ${name}`);
        throw error;
      } finally {
        this.savepoints--;
      }
    }
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      // An async function would commit before its awaits ran, outside the transaction.
      if (result instanceof Promise) throw new TypeError('a transaction cannot be async');
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      // SQLite may already have rolled back (e.g. on a full disk); a ROLLBACK then would throw
      // and hide the error that matters.
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  /** Closes the file; with WAL, the last connection's close checkpoints it into lab.db. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.db.close();
  }

  private statement(sql: string): Sqlite.Statement {
    if (this.closed) throw new DatabaseError(`${this.file}: the lab's database is closed`);
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private configure(): void {
    this.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Also the first read of the file: one that is not a database fails here.
    this.exec('PRAGMA journal_mode = WAL');
    const mode = this.value('PRAGMA journal_mode');
    // WAL needs shared memory between connections, which some network file systems lack.
    if (mode !== 'wal') {
      throw new DatabaseError(
        `${this.file}: SQLite could not use write-ahead logging here (journal mode "${String(mode)}"); put the data directory on a local file system`,
      );
    }
    // FULL: every commit is fsynced before it returns, so what was acknowledged to a learner
    // (a lesson done) survives a power cut or a kernel crash, not only a kill -9 (for which
    // NORMAL would do). It costs about 0.4 ms per commit on this machine's disk, and the lab
    // commits a few times a second at most.
    this.exec('PRAGMA synchronous = FULL');
    this.exec('PRAGMA foreign_keys = ON');
  }

  private migrate(migrations: readonly Migration[]): void {
    const known = migrations.length;
    const check = (version: number) => {
      if (version > known) {
        throw new DatabaseError(
          `${this.file} has schema version ${version}, but this ebpf-lab knows only up to ${known}: ` +
            'a newer ebpf-lab wrote it. Run that version (or newer), or move the file aside to start with an empty database (README: Data).',
        );
      }
    };
    check(this.schemaVersion);
    for (const migration of migrations) {
      // Read again inside the transaction: another process may have migrated meanwhile.
      this.transaction(() => {
        const version = this.schemaVersion;
        check(version);
        if (version >= migration.version) return;
        try {
          this.exec(migration.sql);
        } catch (error) {
          throw new DatabaseError(
            `${this.file}: migration ${migration.version} (${migration.name}) failed, the database is left at version ${version}: ${describe(error)}`,
            { cause: error },
          );
        }
        // user_version lives in the file's header page, so it commits with the schema.
        this.exec(`PRAGMA user_version = ${migration.version}`);
      });
    }
  }
}

/** Migrations are numbered 1, 2, 3… in order: a gap or a duplicate is a programming error. */
function checkMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((migration, i) => {
    if (migration.version !== i + 1) {
      throw new Error(
        `migration "${migration.name}" has version ${migration.version}, expected ${i + 1}`,
      );
    }
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'libsql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseError, databaseFile, LabDatabase } from './database.js';
import { MIGRATIONS, type Migration } from './schema.js';

let dir: string;
let file: string;
const opened: LabDatabase[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ebpf-lab-db-'));
  file = databaseFile(join(dir, 'data'));
});
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(migrations?: readonly Migration[]): LabDatabase {
  const db = LabDatabase.open(file, migrations);
  opened.push(db);
  return db;
}

/** Sets the schema version behind the lab's back, as another ebpf-lab would have. */
function setUserVersion(version: number): void {
  const raw = new Sqlite(file);
  raw.exec(`PRAGMA user_version = ${version}`);
  raw.close();
}

const tables = (db: LabDatabase) =>
  db
    .all<{ name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .map((t) => t.name);

const V1: Migration = { version: 1, name: 'notes', sql: 'CREATE TABLE notes (text TEXT) STRICT' };
const V2: Migration = {
  version: 2,
  name: 'notes get a length',
  sql: `ALTER TABLE notes ADD COLUMN length INTEGER;
        UPDATE notes SET length = length(text);`,
};

describe('the lab database', () => {
  it('creates lab.db and its directory, in WAL mode, fsyncing each commit, with foreign keys', () => {
    const db = open();
    expect(file.endsWith(join('data', 'lab.db'))).toBe(true);
    expect(existsSync(file)).toBe(true);
    expect(db.value('PRAGMA journal_mode')).toBe('wal');
    expect(db.value('PRAGMA synchronous')).toBe(2); // FULL
    expect(db.value('PRAGMA foreign_keys')).toBe(1);
    expect(db.value('PRAGMA busy_timeout')).toBe(5000);
  });

  it('migrates an empty database to the latest schema', () => {
    const db = open();
    expect(db.schemaVersion).toBe(MIGRATIONS.length);
    expect(tables(db)).toEqual([
      'classes',
      'events',
      'hand_raises',
      'instructor_secret',
      'instructor_sessions',
      'lab_address',
      'learners',
      'lesson_time',
      'members',
      'progress',
    ]);
  });

  it('migrates a database at the previous version, keeping its rows', () => {
    const old = open(MIGRATIONS.slice(0, -1));
    expect(old.schemaVersion).toBe(MIGRATIONS.length - 1);
    old.close();
    expect(open().schemaVersion).toBe(MIGRATIONS.length);

    // The same with a migration that reshapes existing rows.
    rmSync(dir, { recursive: true, force: true });
    const v1 = open([V1]);
    v1.run('INSERT INTO notes (text) VALUES (?)', 'héllo');
    v1.close();
    const v2 = open([V1, V2]);
    expect(v2.schemaVersion).toBe(2);
    expect(v2.all('SELECT text, length FROM notes')).toEqual([{ text: 'héllo', length: 5 }]);
  });

  it('applies each migration in a transaction: a failing one leaves no trace and names itself', () => {
    open([V1]).close();
    const broken: Migration = {
      version: 2,
      name: 'half a change',
      sql: 'CREATE TABLE kept_only_if_all_works (x TEXT); INSERT INTO no_such_table VALUES (1);',
    };
    expect(() => open([V1, broken])).toThrow(
      /migration 2 \(half a change\) failed, the database is left at version 1: .*no_such_table/,
    );
    const db = open([V1]);
    expect(db.schemaVersion).toBe(1);
    expect(tables(db)).toEqual(['notes']);
  });

  it('refuses a database written by a newer ebpf-lab, and leaves it alone', () => {
    open().close();
    const newer = MIGRATIONS.length + 1;
    setUserVersion(newer);
    const error = (() => {
      try {
        open();
      } catch (e) {
        return e as Error;
      }
      throw new Error('opened a newer database');
    })();
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error.message).toContain(file);
    expect(error.message).toContain(
      `schema version ${newer}, but this ebpf-lab knows only up to ${MIGRATIONS.length}`,
    );
    const raw = new Sqlite(file);
    expect(raw.prepare('PRAGMA user_version').all()).toEqual([{ user_version: newer }]);
    raw.close();
  });

  it('refuses a file that is not a database, naming it', () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'Remember: bpf_trace_printk is for debugging. '.repeat(40));
    expect(() => LabDatabase.open(notes)).toThrow(/notes\.txt: .*not a database/);
  });

  it('refuses migrations out of order', () => {
    expect(() => open([V2])).toThrow(/version 2, expected 1/);
  });

  it('enforces foreign keys and column types', () => {
    const db = open();
    expect(() =>
      db.run(
        'INSERT INTO members (class_id, learner_id, display_name, resume_token_hash, joined_at) VALUES (?, ?, ?, ?, ?)',
        42,
        'nobody',
        'Ann',
        'hash',
        1,
      ),
    ).toThrow(/FOREIGN KEY/);
    expect(() =>
      db.run('INSERT INTO learners (id, created_at) VALUES (?, ?)', 'a', 'soon'),
    ).toThrow(/INTEGER/);
  });

  it('commits a transaction whole, or nothing when it throws; a nested one is a savepoint', () => {
    const db = open([V1]);
    expect(() =>
      db.transaction(() => {
        db.run('INSERT INTO notes (text) VALUES (?)', 'lost');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    db.transaction(() => {
      db.run('INSERT INTO notes (text) VALUES (?)', 'outer');
      expect(() =>
        db.transaction(() => {
          db.run('INSERT INTO notes (text) VALUES (?)', 'inner, undone');
          throw new Error('inner');
        }),
      ).toThrow('inner');
      db.transaction(() => db.run('INSERT INTO notes (text) VALUES (?)', 'inner, kept'));
    });
    expect(db.all('SELECT text FROM notes').map((r) => r.text)).toEqual(['outer', 'inner, kept']);
    expect(() =>
      db.transaction(async () => db.run('INSERT INTO notes (text) VALUES (?)', 'async')),
    ).toThrow(/cannot be async/);
    expect(db.value('SELECT count(*) FROM notes')).toBe(2);
  });

  it('returns plain rows (no libsql metadata) and undefined for no row', () => {
    const db = open([V1]);
    db.run('INSERT INTO notes (text) VALUES (?)', 'a');
    expect(db.get('SELECT text FROM notes')).toEqual({ text: 'a' });
    expect(Object.keys(db.get('SELECT text FROM notes') ?? {})).toEqual(['text']);
    expect(db.get('SELECT text FROM notes WHERE text = ?', 'b')).toBeUndefined();
    expect(db.value('SELECT count(*) FROM notes')).toBe(1);
    expect(db.value('SELECT text FROM notes WHERE text = ?', null)).toBeUndefined();
  });

  it('says so when used after close', () => {
    const db = open([V1]);
    db.close();
    expect(() => db.get('SELECT 1')).toThrow(/closed/);
  });
});

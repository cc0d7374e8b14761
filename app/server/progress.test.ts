import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { databaseFile, LabDatabase } from './db/database.js';
import { openProgressStore, type ProgressStoreOptions } from './progress.js';

let dir: string;
let dataDir: string;
let legacy: string;
const opened: LabDatabase[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ebpf-lab-progress-'));
  dataDir = join(dir, 'data');
  legacy = join(dataDir, 'progress.json');
});
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function openDb(): LabDatabase {
  const db = LabDatabase.open(databaseFile(dataDir));
  opened.push(db);
  return db;
}

async function open(options: ProgressStoreOptions = {}) {
  const db = openDb();
  return { db, store: await openProgressStore(db, options) };
}

function writeLegacy(snapshot: unknown, log?: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(legacy, JSON.stringify(snapshot));
  if (log !== undefined) writeFileSync(`${legacy}.log`, log);
}

describe('the progress store', () => {
  it('moves lessons forward only, and keeps them across close and reopen', async () => {
    let clock = 1_000;
    const { db, store } = await open({ now: () => clock });
    expect(store.stateOf('a', '01-hello')).toBe('new');
    await store.advance('a', '01-hello', 'started');
    clock = 2_000;
    await store.advance('a', '01-hello', 'done');
    clock = 3_000;
    await store.advance('a', '01-hello', 'started');
    await store.advance('a', '01-hello', 'done');
    await store.advance('a', '01-hello', 'new');
    await store.advance('b', '02-verifier', 'started');
    await store.advance('c', '03-maps', 'done');
    expect(store.stateOf('a', '01-hello')).toBe('done');
    await store.close();
    db.close();

    const { db: again, store: reopened } = await open();
    expect(reopened.stateOf('a', '01-hello')).toBe('done');
    expect(reopened.stateOf('b', '02-verifier')).toBe('started');
    expect(reopened.stateOf('b', '01-hello')).toBe('new');
    // The first completion's time is kept; a lesson done at once was started then too.
    expect(again.all('SELECT * FROM progress ORDER BY learner_id')).toEqual([
      {
        learner_id: 'a',
        lesson_id: '01-hello',
        state: 'done',
        started_at: 1_000,
        first_done_at: 2_000,
      },
      {
        learner_id: 'b',
        lesson_id: '02-verifier',
        state: 'started',
        started_at: 3_000,
        first_done_at: null,
      },
      {
        learner_id: 'c',
        lesson_id: '03-maps',
        state: 'done',
        started_at: 3_000,
        first_done_at: 3_000,
      },
    ]);
    expect(again.all('SELECT id FROM learners ORDER BY id').map((l) => l.id)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('says so when used after close', async () => {
    const { store } = await open();
    await store.close();
    expect(() => store.stateOf('a', '01-hello')).toThrow(/closed/);
    await expect(store.advance('a', '01-hello', 'done')).rejects.toThrow(/closed/);
  });

  it('imports progress.json and its log once (a torn last line skipped), then renames them', async () => {
    writeLegacy(
      { a: { '01-hello': 'done', '02-verifier': 'started' }, b: { '01-hello': 'new' } },
      '["b","01-hello","started"]\n["a","02-verifier","done"]\n["c","01-hello","star',
    );
    const logged: string[] = [];
    const { db, store } = await open({ importFrom: legacy, log: (t) => logged.push(t) });
    expect(store.stateOf('a', '01-hello')).toBe('done');
    expect(store.stateOf('a', '02-verifier')).toBe('done');
    expect(store.stateOf('b', '01-hello')).toBe('started');
    expect(store.stateOf('c', '01-hello')).toBe('new');
    // progress.json kept no times.
    expect(db.value('SELECT count(*) FROM progress WHERE started_at IS NOT NULL')).toBe(0);
    expect(existsSync(legacy)).toBe(false);
    expect(existsSync(`${legacy}.log`)).toBe(false);
    expect(JSON.parse(readFileSync(`${legacy}.imported`, 'utf8')).a['01-hello']).toBe('done');
    expect(readFileSync(`${legacy}.log.imported`, 'utf8')).toContain('"c","01-hello","star');
    expect(logged).toEqual([
      'imported the progress of 2 learner(s) (3 lesson state(s)) into the database; the old file is kept as progress.json.imported and progress.json.log.imported',
    ]);
    db.close();

    // The next start finds nothing to import, and the progress is still there.
    const again = await open({ importFrom: legacy, log: (t) => logged.push(t) });
    expect(logged).toHaveLength(1);
    expect(again.store.stateOf('b', '01-hello')).toBe('started');
  });

  it('an import never moves a lesson backwards, so importing twice changes nothing', async () => {
    const { db, store } = await open();
    await store.advance('a', '01-hello', 'done');
    await store.advance('a', '02-verifier', 'started');
    db.close();
    // As after a crash between the import's commit and the renames: the file is read again.
    writeLegacy({ a: { '01-hello': 'started', '02-verifier': 'done' } });
    for (const expected of ['progress.json.imported', 'progress.json.imported.2']) {
      writeLegacy({ a: { '01-hello': 'started', '02-verifier': 'done' } });
      const { store: imported } = await open({ importFrom: legacy });
      expect(imported.stateOf('a', '01-hello')).toBe('done');
      expect(imported.stateOf('a', '02-verifier')).toBe('done');
      expect(existsSync(join(dataDir, expected))).toBe(true);
    }
  });

  it('imports a log left alone (a crash between the two renames)', async () => {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(`${legacy}.log`, '["a","01-hello","done"]\n');
    const { store } = await open({ importFrom: legacy });
    expect(store.stateOf('a', '01-hello')).toBe('done');
    expect(existsSync(`${legacy}.log.imported`)).toBe(true);
  });

  it('refuses a progress.json it does not understand, naming it, and imports nothing', async () => {
    writeLegacy({ a: { '01-hello': 'finished' } });
    const db = openDb();
    await expect(openProgressStore(db, { importFrom: legacy })).rejects.toThrow(
      /progress\.json: not a progress file/,
    );
    writeFileSync(legacy, 'garbage');
    await expect(openProgressStore(db, { importFrom: legacy })).rejects.toThrow(
      /progress\.json: not a progress file/,
    );
    expect(existsSync(legacy)).toBe(true);
    expect(db.value('SELECT count(*) FROM progress')).toBe(0);
  });

  it('keeps every acknowledged change when the server is killed with SIGKILL', {
    timeout: 30_000,
  }, async () => {
    // A real process writes through the real store; it is killed mid-stream, at a moment of
    // the kernel's choosing, then the database is opened again. (A kill -9 loses nothing that
    // reached the kernel; synchronous=FULL adds the disk, for a power cut, which no test here
    // can cut.)
    const bundle = join(dir, 'progress-writer.mjs');
    await build({
      entryPoints: [join(PACKAGE_ROOT, 'test', 'fixtures', 'progress-writer.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      outfile: bundle,
      logLevel: 'silent',
    });
    symlinkSync(join(PACKAGE_ROOT, 'node_modules'), join(dir, 'node_modules'));
    const child = spawn(process.execPath, [bundle, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // Acks that were in the pipe when the kill came are read too (`exit` can come before them).
    const drained = new Promise((resolve) => child.stdout.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        if ((stdout.match(/\n/g)?.length ?? 0) >= 300) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`the writer exited early: ${stderr}`)));
    });
    expect(await exited).toBe('SIGKILL');
    await drained;

    const acked = stdout
      .split('\n')
      .filter((line) => /^acked \d+$/.test(line))
      .map((line) => Number(line.slice('acked '.length)));
    expect(acked.length).toBeGreaterThanOrEqual(300);
    const { store } = await open();
    const lost = acked.filter(
      (n) =>
        store.stateOf(`learner-${n % 7}`, `lesson-${n}`) !== (n % 2 === 0 ? 'started' : 'done'),
    );
    expect(lost).toEqual([]);
  });
});

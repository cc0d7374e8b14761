import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openProgressStore } from './progress.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ebpf-lab-progress-'));
  file = join(dir, 'data', 'progress.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the progress store', () => {
  it('keeps progress across a reopen, forward only', async () => {
    const store = await openProgressStore(file);
    await store.advance('a', '01-hello', 'started');
    await store.advance('a', '01-hello', 'done');
    await store.advance('a', '01-hello', 'started');
    await store.advance('b', '02-verifier', 'started');
    expect(store.stateOf('a', '01-hello')).toBe('done');
    // No close: a crash. The log alone brings it back.
    const again = await openProgressStore(file);
    expect(again.stateOf('a', '01-hello')).toBe('done');
    expect(again.stateOf('b', '02-verifier')).toBe('started');
    expect(again.stateOf('b', '01-hello')).toBe('new');
    await again.close();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({
      a: { '01-hello': 'done' },
      b: { '02-verifier': 'started' },
    });
  });

  it('a write appends one line and leaves the snapshot alone, however many learners', async () => {
    const store = await openProgressStore(file);
    await Promise.all(
      Array.from({ length: 20_000 }, (_, i) =>
        store.advance(`learner-${i}`, '01-hello', 'started'),
      ),
    );
    await store.close();
    const reopened = await openProgressStore(file);
    const snapshot = statSync(file);
    await reopened.advance('learner-20000', '01-hello', 'done');
    expect(statSync(file).mtimeMs).toBe(snapshot.mtimeMs);
    expect(statSync(file).size).toBe(snapshot.size);
    expect(readFileSync(`${file}.log`, 'utf8')).toBe('["learner-20000","01-hello","done"]\n');
    expect(reopened.stateOf('learner-19999', '01-hello')).toBe('started');
    await reopened.close();
  });

  it('skips a log line torn by a crash, keeping the changes before it', async () => {
    const store = await openProgressStore(file);
    await store.advance('a', '01-hello', 'started');
    appendFileSync(`${file}.log`, '["a","02-verif');
    const again = await openProgressStore(file);
    expect(again.stateOf('a', '01-hello')).toBe('started');
    expect(again.stateOf('a', '02-verifier')).toBe('new');
  });

  it('refuses a file that is not progress, saying which', async () => {
    const store = await openProgressStore(file);
    await store.close();
    appendFileSync(file, 'garbage');
    await expect(openProgressStore(file)).rejects.toThrow(/progress\.json/);
  });
});

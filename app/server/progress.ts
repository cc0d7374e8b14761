/**
 * Each learner's progress through the course (`started`, `done`), kept in the lab's database
 * (table `progress`) behind a small interface. A lesson moves forward only. `advance` resolves
 * once the change is committed to disk, so what the lab then tells the learner ("lesson done")
 * survives a restart, a kill -9 and a power cut.
 *
 * Labs before the database kept progress in `progress.json` (+ `progress.json.log`). Opening
 * the store with `importFrom` imports that file in one transaction and then renames it (and its
 * log) to `*.imported`: read once, nothing lost, and kept for whoever wants to look. A crash
 * between the commit and the renames imports it again on the next start, which changes
 * nothing, since an import, like any change, only moves lessons forward.
 */
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import type { LabDatabase } from './db/database.js';
import { progressLogFile, readProgressJson } from './progress-json.js';

export const LessonState = z.enum(['new', 'started', 'done']);
export type LessonState = z.infer<typeof LessonState>;

export interface ProgressStore {
  stateOf(learner: string, lesson: string): LessonState;
  /** Moves a lesson forward (new → started → done), never backwards; resolves once durable. */
  advance(learner: string, lesson: string, state: LessonState): Promise<void>;
  /**
   * The same, synchronous, so that it can join the caller's transaction (a check's record and
   * the lesson it completes commit together); durable when that commits.
   */
  advanceNow(learner: string, lesson: string, state: LessonState): void;
  /** The store is not used afterwards (the database is its owner's to close). */
  close(): Promise<void>;
}

export interface ProgressStoreOptions {
  /** A `progress.json` from before the database, imported once if it (or its log) exists. */
  importFrom?: string;
  /** The clock, for the times recorded (tests set it). */
  now?: () => number;
  log?: (text: string) => void;
}

const RANK: Record<LessonState, number> = { new: 0, started: 1, done: 2 };

/** `started_at` and `first_done_at` are NULL for imported rows: progress.json kept no times. */
const ADVANCE = `
  INSERT INTO progress (learner_id, lesson_id, state, started_at, first_done_at)
  VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (learner_id, lesson_id) DO UPDATE SET
    state = excluded.state,
    first_done_at = excluded.first_done_at
  WHERE excluded.state = 'done' AND progress.state = 'started'`;
const ADD_LEARNER = 'INSERT OR IGNORE INTO learners (id, created_at) VALUES (?, ?)';

export async function openProgressStore(
  db: LabDatabase,
  options: ProgressStoreOptions = {},
): Promise<ProgressStore> {
  const store = new DatabaseProgressStore(db, options.now ?? Date.now);
  if (options.importFrom) await store.importProgressJson(options.importFrom, options.log);
  return store;
}

class DatabaseProgressStore implements ProgressStore {
  private closed = false;

  constructor(
    private readonly db: LabDatabase,
    private readonly now: () => number,
  ) {}

  stateOf(learner: string, lesson: string): LessonState {
    this.checkOpen();
    const state = this.db.value<LessonState>(
      'SELECT state FROM progress WHERE learner_id = ? AND lesson_id = ?',
      learner,
      lesson,
    );
    return state ?? 'new';
  }

  async advance(learner: string, lesson: string, state: LessonState): Promise<void> {
    this.advanceNow(learner, lesson, state);
  }

  advanceNow(learner: string, lesson: string, state: LessonState): void {
    // Reading first spares a write (and its fsync) for the common case, a lesson opened again.
    if (RANK[state] <= RANK[this.stateOf(learner, lesson)]) return;
    const now = this.now();
    this.db.transaction(() => this.write(learner, lesson, state, now));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Imports `file` (see the module's header); resolves when it is in and renamed. */
  async importProgressJson(file: string, log?: (text: string) => void): Promise<void> {
    const progress = await readProgressJson(file);
    if (!progress) return;
    let lessons = 0;
    this.db.transaction(() => {
      for (const [learner, states] of progress) {
        for (const [lesson, state] of states) {
          if (state === 'new') continue;
          this.write(learner, lesson, state, null);
          lessons++;
        }
      }
    });
    const renamed = [];
    for (const original of [file, progressLogFile(file)]) {
      if (existsSync(original)) renamed.push(await renameAside(original));
    }
    log?.(
      `imported the progress of ${progress.size} learner(s) (${lessons} lesson state(s)) into the database; ` +
        `the old file is kept as ${renamed.map((f) => basename(f)).join(' and ')}`,
    );
  }

  /** `at` null: the time is unknown (an import). Call inside a transaction. */
  private write(learner: string, lesson: string, state: LessonState, at: number | null): void {
    this.db.run(ADD_LEARNER, learner, at ?? this.now());
    this.db.run(ADVANCE, learner, lesson, state, at, state === 'done' ? at : null);
  }

  private checkOpen(): void {
    if (this.closed) throw new Error('the progress store is closed');
  }
}

/** Renames `file` to `file.imported` (or `.imported.2`, … when that exists); returns the name. */
async function renameAside(file: string): Promise<string> {
  let target = `${file}.imported`;
  for (let n = 2; existsSync(target); n++) target = `${file}.imported.${n}`;
  await rename(file, target);
  return target;
}

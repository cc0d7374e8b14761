/**
 * Each learner's progress through the course (`started`, `done`), kept across server restarts
 * in the lab's data directory, behind a small interface (a database replaces the file later).
 *
 * A write costs the same with 20,000 learners as with 20: a change is one line appended to a
 * log beside the snapshot (`progress.json.log`), and changes arriving together go out in one
 * append. The snapshot (`progress.json`) is rewritten only when the store opens or closes,
 * folding the log in (write, then rename: a crash never leaves a half-written file; a torn last
 * log line is skipped on the next open).
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

export const LessonState = z.enum(['new', 'started', 'done']);
export type LessonState = z.infer<typeof LessonState>;

export interface ProgressStore {
  stateOf(learner: string, lesson: string): LessonState;
  /** Moves a lesson forward (new → started → done), never backwards; resolves once durable. */
  advance(learner: string, lesson: string, state: LessonState): Promise<void>;
  /** Writes everything out; the store is not used afterwards. */
  close(): Promise<void>;
}

const ProgressFile = z.record(z.string(), z.record(z.string(), LessonState));
const LogLine = z.tuple([z.string(), z.string(), LessonState]);

const RANK: Record<LessonState, number> = { new: 0, started: 1, done: 2 };

export async function openProgressStore(file: string): Promise<ProgressStore> {
  const data = new Map<string, Map<string, LessonState>>();
  if (existsSync(file)) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new Error(`${file}: not a progress file (${(error as Error).message})`);
    }
    const parsed = ProgressFile.safeParse(json);
    if (!parsed.success)
      throw new Error(`${file}: not a progress file (${parsed.error.issues[0]?.message})`);
    for (const [learner, lessons] of Object.entries(parsed.data))
      data.set(learner, new Map(Object.entries(lessons)));
  }
  const log = `${file}.log`;
  if (existsSync(log)) {
    for (const line of (await readFile(log, 'utf8')).split('\n')) {
      if (!line) continue;
      let entry: z.infer<typeof LogLine>;
      try {
        entry = LogLine.parse(JSON.parse(line));
      } catch {
        continue; // a line torn by a crash mid-append: the change before it is kept
      }
      const [learner, lesson, state] = entry;
      const lessons = data.get(learner) ?? new Map<string, LessonState>();
      lessons.set(lesson, state);
      data.set(learner, lessons);
    }
  }
  const store = new FileProgressStore(file, log, data);
  await store.compact();
  return store;
}

class FileProgressStore implements ProgressStore {
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    private readonly log: string,
    private readonly data: Map<string, Map<string, LessonState>>,
  ) {}

  stateOf(learner: string, lesson: string): LessonState {
    return this.data.get(learner)?.get(lesson) ?? 'new';
  }

  async advance(learner: string, lesson: string, state: LessonState): Promise<void> {
    if (RANK[state] <= RANK[this.stateOf(learner, lesson)]) return;
    const lessons = this.data.get(learner) ?? new Map<string, LessonState>();
    lessons.set(lesson, state);
    this.data.set(learner, lessons);
    this.pending.push(`${JSON.stringify([learner, lesson, state])}\n`);
    await this.flush();
  }

  /** One append at a time; what arrives meanwhile goes out together in the next. */
  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.pending.length > 0) {
          const batch = this.pending.join('');
          this.pending = [];
          await appendFile(this.log, batch);
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  /** Folds the log into a fresh snapshot. */
  async compact(): Promise<void> {
    await this.flushing;
    await mkdir(dirname(this.file), { recursive: true });
    const snapshot: Record<string, Record<string, LessonState>> = {};
    for (const [learner, lessons] of this.data) snapshot[learner] = Object.fromEntries(lessons);
    await writeFile(`${this.file}.tmp`, JSON.stringify(snapshot));
    await rename(`${this.file}.tmp`, this.file);
    await rm(this.log, { force: true });
  }

  async close(): Promise<void> {
    await this.flush();
    await this.compact();
  }
}

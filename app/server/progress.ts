/**
 * Each learner's progress through the course (`started`, `done`), kept across server restarts
 * in one JSON file in the lab's data directory. Writes are serialized and atomic (write, then
 * rename), so a crash never leaves a half-written file.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

export const LessonState = z.enum(['new', 'started', 'done']);
export type LessonState = z.infer<typeof LessonState>;

const ProgressFile = z.record(z.string(), z.record(z.string(), LessonState));

const RANK: Record<LessonState, number> = { new: 0, started: 1, done: 2 };

export class ProgressStore {
  private data: Record<string, Record<string, LessonState>> = {};
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<ProgressStore> {
    const store = new ProgressStore(file);
    if (existsSync(file)) {
      const parsed = ProgressFile.safeParse(JSON.parse(await readFile(file, 'utf8')));
      if (!parsed.success)
        throw new Error(`${file}: not a progress file (${parsed.error.issues[0]?.message})`);
      store.data = parsed.data;
    }
    return store;
  }

  stateOf(learner: string, lesson: string): LessonState {
    return this.data[learner]?.[lesson] ?? 'new';
  }

  /** Moves a lesson forward (new → started → done); never backwards. */
  async advance(learner: string, lesson: string, state: LessonState): Promise<void> {
    if (RANK[state] <= RANK[this.stateOf(learner, lesson)]) return;
    this.data[learner] = { ...this.data[learner], [lesson]: state };
    const snapshot = JSON.stringify(this.data);
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      await writeFile(`${this.file}.tmp`, snapshot);
      await rename(`${this.file}.tmp`, this.file);
    });
    await this.writing;
  }
}

/**
 * Reads the progress file of the labs before the database (`progress.json`, and the
 * `progress.json.log` of changes not yet folded into it), so that the progress store can import
 * it once. The format is frozen: this module only ever reads it.
 *
 * The snapshot is `{learner: {lesson: state}}`; each log line is one change,
 * `["learner","lesson","state"]`, applied in order over the snapshot. A crash mid-append could
 * leave a torn last line: it is skipped, and the changes before it kept.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** The states as the file wrote them (its own copy: the file's format does not change). */
const FileState = z.enum(['new', 'started', 'done']);
export type ProgressJsonState = z.infer<typeof FileState>;

const ProgressFile = z.record(z.string(), z.record(z.string(), FileState));
const LogLine = z.tuple([z.string(), z.string(), FileState]);

/** learner → lesson → state. */
export type ProgressJson = Map<string, Map<string, ProgressJsonState>>;

/** The log beside a progress file. */
export function progressLogFile(file: string): string {
  return `${file}.log`;
}

/**
 * The progress in `file` and its log, folded; undefined when neither exists. Throws, naming the
 * file, when the snapshot is not a progress file (nothing is imported from a file not understood).
 */
export async function readProgressJson(file: string): Promise<ProgressJson | undefined> {
  const log = progressLogFile(file);
  if (!existsSync(file) && !existsSync(log)) return undefined;
  const data: ProgressJson = new Map();
  if (existsSync(file)) {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new Error(`${file}: not a progress file (${(error as Error).message})`, {
        cause: error,
      });
    }
    const parsed = ProgressFile.safeParse(json);
    if (!parsed.success)
      throw new Error(`${file}: not a progress file (${parsed.error.issues[0]?.message})`);
    for (const [learner, lessons] of Object.entries(parsed.data))
      data.set(learner, new Map(Object.entries(lessons)));
  }
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
      const lessons = data.get(learner) ?? new Map<string, ProgressJsonState>();
      lessons.set(lesson, state);
      data.set(learner, lessons);
    }
  }
  return data;
}

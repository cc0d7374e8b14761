/**
 * Reads the curriculum from disk: one folder per lesson, in name order, each with `lesson.md`
 * (YAML front matter + Markdown), `files/` (what the learner starts with) and `solution/`
 * (the files the solution changes). Authoring mistakes are errors naming the file and field.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Lesson, type LessonFile, LessonFrontMatter, languageOf } from './schema.js';

export class LessonError extends Error {}

const LESSON_DIR = /^\d{2,3}-[a-z0-9-]+$/;
const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/;

export async function loadCourse(root: string): Promise<Lesson[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const dirs = entries
    .filter((e) => e.isDirectory() && LESSON_DIR.test(e.name))
    .map((e) => e.name)
    .sort();
  return Promise.all(dirs.map((id) => loadLesson(root, id)));
}

export async function loadLesson(root: string, id: string): Promise<Lesson> {
  const dir = join(root, id);
  const mdPath = join(dir, 'lesson.md');
  if (!existsSync(mdPath)) throw new LessonError(`${mdPath}: missing (every lesson needs one)`);
  const text = await readFile(mdPath, 'utf8');
  const match = FRONT_MATTER.exec(text);
  if (!match) throw new LessonError(`${mdPath}: no front matter (it starts with a --- block)`);
  let raw: unknown;
  try {
    raw = parseYaml(match[1] ?? '');
  } catch (error) {
    throw new LessonError(`${mdPath}: front matter is not valid YAML: ${(error as Error).message}`);
  }
  const parsed = LessonFrontMatter.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.join('.') || '(front matter)';
      return `${mdPath}: field "${field}": ${issue.message}`;
    });
    throw new LessonError(problems.join('\n'));
  }
  return { id, dir, meta: parsed.data, markdown: match[2] ?? '', files: await loadFiles(dir) };
}

async function loadFiles(dir: string): Promise<LessonFile[]> {
  const starterDir = join(dir, 'files');
  if (!existsSync(starterDir)) throw new LessonError(`${starterDir}: missing (the starter files)`);
  const names = (await readdir(starterDir)).sort((a, b) => {
    const rank = (name: string) => (languageOf(name) === 'c' ? 0 : 1);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const solutionDir = join(dir, 'solution');
  const files: LessonFile[] = [];
  for (const name of names) {
    const solutionPath = join(solutionDir, name);
    files.push({
      name,
      language: languageOf(name),
      starter: await readFile(join(starterDir, name), 'utf8'),
      solution: existsSync(solutionPath) ? await readFile(solutionPath, 'utf8') : null,
    });
  }
  return files;
}

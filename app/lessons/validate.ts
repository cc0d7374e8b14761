/**
 * Authoring mistakes caught before a learner meets them, without a sandbox: the front matter
 * (by the schema, in load.ts), the files checks refer to, solutions that change nothing,
 * regular expressions that do not compile, links and images that lead nowhere, and code the
 * text says to type that would not give the solution (snippets.ts). Each
 * problem names the file and the field or line.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LessonError, loadLesson } from './load.js';
import { headingId } from './render.js';
import type { Lesson } from './schema.js';
import { snippetProblems } from './snippets.js';

export interface LessonReport {
  id: string;
  lesson: Lesson | undefined;
  problems: string[];
}

const NEEDS_C = new Set(['compiles', 'loaded', 'trace', 'verifier-then-pass']);
// [text](target) and ![alt](target), outside code; good enough for lesson prose.
const LINK = /!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g;
const FENCE = /^```[\s\S]*?^```/gm;

export async function validateCourse(
  root: string,
  glossaryHeadings: Set<string>,
): Promise<LessonReport[]> {
  if (!existsSync(root))
    return [{ id: root, lesson: undefined, problems: [`${root}: no such folder`] }];
  const entries = await readdir(root, { withFileTypes: true });
  const ids = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const reports: LessonReport[] = [];
  for (const id of ids) {
    if (!/^\d{2,3}-[a-z0-9-]+$/.test(id)) {
      reports.push({
        id,
        lesson: undefined,
        problems: [`${join(root, id)}: a lesson folder is named NN-slug (e.g. 01-hello-world)`],
      });
      continue;
    }
    try {
      const lesson = await loadLesson(root, id);
      reports.push({ id, lesson, problems: await lessonProblems(lesson, ids, glossaryHeadings) });
    } catch (error) {
      if (!(error instanceof LessonError)) throw error;
      reports.push({ id, lesson: undefined, problems: error.message.split('\n') });
    }
  }
  if (reports.length === 0)
    reports.push({ id: root, lesson: undefined, problems: [`${root}: no lessons`] });
  return reports;
}

async function lessonProblems(
  lesson: Lesson,
  lessonIds: string[],
  glossary: Set<string>,
): Promise<string[]> {
  const problems: string[] = [];
  const md = join(lesson.dir, 'lesson.md');
  const hasC = lesson.files.some((f) => f.language === 'c');
  if (lesson.files.length === 0) problems.push(`${join(lesson.dir, 'files')}: no starter files`);

  for (const file of lesson.files) {
    if (file.solution !== null && file.solution === file.starter) {
      problems.push(
        `${join(lesson.dir, 'solution', file.name)}: the solution is the same as the starter`,
      );
    }
  }
  const solutionDir = join(lesson.dir, 'solution');
  if (existsSync(solutionDir)) {
    for (const name of await readdir(solutionDir)) {
      if (!lesson.files.some((f) => f.name === name)) {
        problems.push(`${join(solutionDir, name)}: no starter file of that name in files/`);
      }
    }
  }

  for (const [index, check] of lesson.meta.checks.entries()) {
    const field = `checks.${index}`;
    if (NEEDS_C.has(check.kind) && !hasC) {
      problems.push(
        `${md}: field "${field}.kind": a "${check.kind}" check needs a .c file in files/`,
      );
    }
    if (check.kind === 'verifier-then-pass' && !existsSync(join(lesson.dir, check.rejected))) {
      problems.push(
        `${md}: field "${field}.rejected": ${join(lesson.dir, check.rejected)} does not exist`,
      );
    }
    for (const key of ['expect', 'running'] as const) {
      const pattern = (check as Record<string, unknown>)[key];
      if (typeof pattern !== 'string' || pattern === '') continue;
      try {
        new RegExp(pattern.replaceAll('{random}', 'w0'));
      } catch (error) {
        problems.push(
          `${md}: field "${field}.${key}": not a regular expression: ${(error as Error).message}`,
        );
      }
    }
  }
  if (
    lesson.meta.attach.length === 0 &&
    lesson.meta.checks.some((c) => c.kind === 'trace' || c.kind === 'loaded')
  ) {
    const source = lesson.files.find((f) => f.language === 'c');
    const autoAttaches =
      /\b(kprobe__|kretprobe__|tracepoint__|TRACEPOINT_PROBE|LSM_PROBE|KFUNC_PROBE|RAW_TRACEPOINT_PROBE)/;
    const text = source?.solution ?? source?.starter ?? '';
    if (!autoAttaches.test(text)) {
      problems.push(
        `${md}: field "attach": empty, and the C source names no function BCC attaches by itself`,
      );
    }
  }

  // The whole file, so that problems name lesson.md's own line numbers.
  problems.push(...snippetProblems(md, await readFile(md, 'utf8'), lesson.files));

  const prose = lesson.markdown.replace(FENCE, '');
  for (const [, target = ''] of prose.matchAll(LINK)) {
    const problem = linkProblem(lesson, target, lessonIds, glossary);
    if (problem) problems.push(`${md}: link "${target}": ${problem}`);
  }
  return problems;
}

function linkProblem(
  lesson: Lesson,
  target: string,
  lessonIds: string[],
  glossary: Set<string>,
): string | undefined {
  if (/^(https?:|mailto:)/.test(target)) return undefined; // not fetched: the lab works offline
  if (target.startsWith('#')) return undefined;
  if (target.startsWith('/glossary')) {
    const anchor = target.split('#')[1];
    if (!anchor) return undefined;
    return glossary.has(anchor) ? undefined : `the glossary has no term with the anchor #${anchor}`;
  }
  const lessonLink = /^\/lessons\/([^/#]+)/.exec(target);
  if (lessonLink) return lessonIds.includes(lessonLink[1] ?? '') ? undefined : 'no such lesson';
  if (target === '/') return undefined;
  if (target.startsWith('/')) return 'only /, /lessons/ID and /glossary#TERM are pages of the lab';
  const path = target.split('#')[0] ?? '';
  if (!path.startsWith('assets/'))
    return "lesson files are linked as assets/NAME (in the lesson's assets/ folder)";
  return existsSync(join(lesson.dir, path))
    ? undefined
    : `${join(lesson.dir, path)} does not exist`;
}

/** The anchors of a glossary's headings, as the renderer makes them. */
export function glossaryAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const [, text = ''] of markdown.replace(FENCE, '').matchAll(/^#{1,6}\s+(.+)$/gm)) {
    anchors.add(headingId(text.trim()));
  }
  return anchors;
}

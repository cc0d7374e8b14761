/**
 * One broken fixture lesson per authoring mistake: each must produce a clear error that names
 * the file and the field (or the link) at fault.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { fencesOf } from './snippets.js';
import { glossaryAnchors, validateCourse } from './validate.js';

const BROKEN = join(PACKAGE_ROOT, 'test', 'fixtures', 'broken-lessons');
const LESSON_MD = join('01-case', 'lesson.md');

async function problemsOf(fixture: string): Promise<string[]> {
  const reports = await validateCourse(join(BROKEN, fixture), new Set(['kprobe']));
  expect(reports).toHaveLength(1);
  return reports[0]?.problems ?? [];
}

describe('lesson validation names the file and the field', () => {
  it.each([
    [
      'unknown-field',
      LESSON_MD,
      /field "\(front matter\)": Unrecognized key: "summry"|field "summary"/,
    ],
    ['missing-checks', LESSON_MD, /field "checks"/],
    ['wrong-kind', LESSON_MD, /field "checks\.0\.kind"/],
    [
      'same-solution',
      join('01-case', 'solution', 'probe.c'),
      /the solution is the same as the starter/,
    ],
    [
      'missing-rejected',
      LESSON_MD,
      /field "checks\.0\.rejected": .*checks\/rejected\.c does not exist/,
    ],
    ['bad-regex', LESSON_MD, /field "checks\.0\.expect": not a regular expression/],
    ['bad-link', LESSON_MD, /link "\/lessons\/99-nope": no such lesson/],
    ['bad-link', LESSON_MD, /link "assets\/missing\.svg": .*does not exist/],
    ['no-front-matter', LESSON_MD, /no front matter/],
    ['bad-yaml', LESSON_MD, /front matter is not valid YAML/],
    [
      'snippet-redefinition',
      LESSON_MD,
      /line 16: typed in place of the TODO in files\/probe\.c, this snippet declares "pid" again \(files\/probe\.c line 2 already declares it/,
    ],
    [
      'snippet-mismatch',
      LESSON_MD,
      /line 16: the snippets for probe\.c, .* do not give solution\/probe\.c: the typed file has "bpf_trace_printk\("hello\\n"\)" where the solution has "bpf_trace_printk\("hello\\n"\);"/,
    ],
    ['snippet-unknown-file', LESSON_MD, /line 16: todo=prob\.c: no starter file of that name/],
    ['snippet-unknown-file', LESSON_MD, /line 20: unknown code block option "tood"/],
  ])('%s', async (fixture, file, message) => {
    const problems = await problemsOf(fixture);
    const problem = problems.find((p) => message.test(p));
    expect(problem, problems.join('\n')).toBeDefined();
    expect(problem).toContain(join(BROKEN, fixture, file));
  });

  it("the course's own lessons are valid, and their todo= snippets give their solutions", async () => {
    const lessons = join(PACKAGE_ROOT, 'lessons');
    const glossary = glossaryAnchors(
      await readFile(join(PACKAGE_ROOT, 'content', 'glossary.md'), 'utf8'),
    );
    const reports = await validateCourse(lessons, glossary);
    expect(reports.flatMap((r) => r.problems)).toEqual([]);
    // The snippets are really checked: most lessons with a TODO mark the code that replaces it.
    let marked = 0;
    for (const report of reports) {
      const md = await readFile(join(lessons, report.id, 'lesson.md'), 'utf8');
      marked += fencesOf(md).filter((f) => f.options.todo !== undefined).length;
    }
    expect(marked).toBeGreaterThanOrEqual(6);
  });

  it('finds glossary anchors the way the renderer makes them', () => {
    expect(glossaryAnchors('# Glossary\n\n## kprobe\n\n## Context (`ctx`)\n')).toEqual(
      new Set(['glossary', 'kprobe', 'context-ctx']),
    );
  });
});

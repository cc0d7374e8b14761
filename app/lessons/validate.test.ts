/**
 * One broken fixture lesson per authoring mistake: each must produce a clear error that names
 * the file and the field (or the link) at fault.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runner/paths.js';
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
  ])('%s', async (fixture, file, message) => {
    const problems = await problemsOf(fixture);
    const problem = problems.find((p) => message.test(p));
    expect(problem, problems.join('\n')).toBeDefined();
    expect(problem).toContain(join(BROKEN, fixture, file));
  });

  it('finds glossary anchors the way the renderer makes them', () => {
    expect(glossaryAnchors('# Glossary\n\n## kprobe\n\n## Context (`ctx`)\n')).toEqual(
      new Set(['glossary', 'kprobe', 'context-ctx']),
    );
  });
});

/**
 * A lesson's front matter, declared once. Strict: an unknown key is an authoring mistake, and
 * each field has exactly one shape. `.describe()` doubles as the format's documentation.
 */
import { z } from 'zod';
import type { FileLanguage, LessonFile } from '../shared/http-api.js';
import { AttachChoice } from '../shared/protocol.js';

export type { FileLanguage, LessonFile } from '../shared/http-api.js';

const checkBase = {
  title: z.string().min(1).max(160).describe('What the check verifies, shown with its result.'),
  hint: z
    .string()
    .min(1)
    .max(600)
    .describe('Shown to the learner when the check fails: what to try next.'),
};

/**
 * One automatic check. `{random}` in a trigger, expectation or command is replaced by a fresh
 * random word (letters and digits) each time the check runs.
 */
export const LessonCheck = z.discriminatedUnion('kind', [
  z
    .strictObject({ kind: z.literal('compiles'), ...checkBase })
    .describe("The learner's C probe compiles (clang, in the sandbox)."),
  z
    .strictObject({
      kind: z.literal('loaded'),
      ...checkBase,
      program: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
        .describe('The function name a program loaded into the kernel must have.'),
    })
    .describe('The probe compiles, passes the verifier and a program of this name is loaded.'),
  z
    .strictObject({
      kind: z.literal('trace'),
      ...checkBase,
      trigger: z.string().min(1).max(1000).describe('Command run in the sandbox once attached.'),
      expect: z
        .string()
        .min(1)
        .max(500)
        .describe('Regular expression a trace message must match (after `{random}` is replaced).'),
      atLeast: z.number().int().min(1).max(1000).default(1).describe('Matching lines needed.'),
      withinSeconds: z.number().min(1).max(60).default(10).describe('How long to wait for them.'),
    })
    .describe(
      "Run the learner's probe with the lesson's attach points, trigger it, read the trace.",
    ),
  z
    .strictObject({
      kind: z.literal('verifier-then-pass'),
      ...checkBase,
      rejected: z
        .string()
        .min(1)
        .describe(
          'A file in the lesson folder the verifier rejects; `lessons check` runs it before the solution.',
        ),
    })
    .describe('The learner had a run rejected by the verifier, then a run that passed.'),
  z
    .strictObject({
      kind: z.literal('shell'),
      ...checkBase,
      expect: z
        .string()
        .min(1)
        .max(500)
        .describe('Regular expression the sandbox shell output must match.'),
      running: z
        .string()
        .max(200)
        .default('')
        .describe('Regular expression (pgrep -f) a running process must match; empty for none.'),
      typed: z
        .string()
        .min(1)
        .max(1000)
        .describe('What the learner types for this check to pass; `lessons check` runs it.'),
    })
    .describe('What the learner did in the sandbox shell: its output, and what is still running.'),
  z
    .strictObject({
      kind: z.literal('script'),
      ...checkBase,
      script: z
        .string()
        .min(1)
        .max(4000)
        .describe('Bash script run in the sandbox (learner files in /root); passes on exit 0.'),
    })
    .describe('The escape hatch: any check a script inside the sandbox can make.'),
]);
export type LessonCheck = z.infer<typeof LessonCheck>;

export const LessonFrontMatter = z
  .strictObject({
    title: z.string().min(1).max(120).describe('The lesson title, shown in the course list.'),
    summary: z
      .string()
      .min(1)
      .max(300)
      .describe('One sentence saying what the learner will do, shown in the course list.'),
    attach: z
      .array(AttachChoice)
      .max(8)
      .default([])
      .describe(
        'Where Run attaches the probe by default, e.g. [{kind: kprobe, target: clone}]; empty when the source attaches itself the BCC way (kprobe__..., TRACEPOINT_PROBE).',
      ),
    checks: z
      .array(LessonCheck)
      .min(1)
      .max(12)
      .describe('Automatic checks, run in order by the Check button and by `lessons check`.'),
  })
  .describe('Front matter of a lesson.md file.');
export type LessonFrontMatter = z.infer<typeof LessonFrontMatter>;

export interface Lesson {
  /** The folder name, e.g. `01-hello-world`. */
  id: string;
  dir: string;
  meta: LessonFrontMatter;
  markdown: string;
  /** The C probe first, then the other files by name. */
  files: LessonFile[];
}

export function languageOf(fileName: string): FileLanguage {
  if (fileName.endsWith('.c') || fileName.endsWith('.h')) return 'c';
  if (fileName.endsWith('.py')) return 'python';
  if (fileName.endsWith('.sh')) return 'shell';
  return 'text';
}

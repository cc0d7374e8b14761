/**
 * A lesson's front matter, declared once. Strict: an unknown key is an authoring mistake, and
 * each field has exactly one shape. `.describe()` doubles as the format's documentation.
 */
import { z } from 'zod';
import { AttachChoice } from '../shared/protocol.js';

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
  })
  .describe('Front matter of a lesson.md file.');
export type LessonFrontMatter = z.infer<typeof LessonFrontMatter>;

export type FileLanguage = 'c' | 'python' | 'shell' | 'text';

export interface LessonFile {
  name: string;
  language: FileLanguage;
  starter: string;
  /** The solution's version of the file, or null when the solution leaves it as it starts. */
  solution: string | null;
}

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

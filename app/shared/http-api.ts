/**
 * The lab's HTTP API replies, declared once: the server builds them, the client reads them.
 * (The WebSocket messages are in protocol.ts.)
 */
import type { AttachChoice } from './protocol.js';

export type LessonState = 'new' | 'started' | 'done';

export interface CourseLesson {
  id: string;
  title: string;
  summary: string;
  state: LessonState;
}

/** `GET /api/course`. */
export interface Course {
  title: string;
  /** The lessons to take, in order: a class's own list when the learner's class names one. */
  lessons: CourseLesson[];
  /** The class whose list `lessons` is, or null (no class, or a class of the whole course). */
  className: string | null;
  /** The course's other lessons, in course order: empty unless `className` is set. */
  otherLessons: CourseLesson[];
}

export type FileLanguage = 'c' | 'python' | 'shell' | 'text';

export interface LessonFile {
  name: string;
  language: FileLanguage;
  starter: string;
  solution: string | null;
}

export interface LessonLink {
  id: string;
  title: string;
}

/** `GET /api/lessons/:id`. */
export interface Lesson {
  id: string;
  title: string;
  /** The lesson's Markdown, rendered and sanitized by the server. */
  html: string;
  files: LessonFile[];
  /** Where the lesson's probe attaches by default; empty when it attaches itself. */
  attach: AttachChoice[];
  /** Before and after it in the order the learner takes the course (their class's, if any). */
  prev: LessonLink | null;
  next: LessonLink | null;
  /** The learner's progress on it, when the server says. */
  state?: LessonState;
}

/** `GET /api/glossary`. */
export interface Glossary {
  title: string;
  /** Rendered and sanitized by the server; each term's heading has an `id` (`/glossary#id`). */
  html: string;
}

/** `GET /healthz`: the server is up, and how much memory it and the sandboxes hold. */
export interface Healthz {
  ok: true;
  /** Learners with a session (a sandbox, or one on its way). */
  sessions: number;
  lessons: number;
  /** The server process's resident memory, in MiB. */
  serverResidentMiB: number;
  sandboxes: {
    /** Sandboxes learners hold, of how many the server allows; learners waiting for one. */
    inUse: number;
    capacity: number;
    waiting: number;
    /** Each learner's running sandbox: its qemu's resident memory, in MiB. */
    residentMiB: number[];
  };
}

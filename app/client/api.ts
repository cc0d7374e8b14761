/**
 * The lab's HTTP API (same origin): the course outline, one lesson, the glossary, and lesson
 * progress.
 * These shapes are the server's JSON replies; the WebSocket protocol lives in shared/protocol.ts.
 */
import type { AttachChoice } from '../shared/protocol.js';

export type LessonState = 'new' | 'started' | 'done';

export interface CourseLesson {
  id: string;
  title: string;
  summary: string;
  state: LessonState;
}

export interface Course {
  title: string;
  lessons: CourseLesson[];
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

export interface Lesson {
  id: string;
  title: string;
  /** The lesson's Markdown, rendered and sanitized by the server. */
  html: string;
  files: LessonFile[];
  /** Where the lesson's probe attaches by default; empty when it attaches itself. */
  attach: AttachChoice[];
  prev: LessonLink | null;
  next: LessonLink | null;
  /** The learner's progress on it, when the server says. */
  state?: LessonState;
}

export interface Glossary {
  title: string;
  /** Rendered and sanitized by the server; each term's heading has an `id` (`/glossary#id`). */
  html: string;
}

/** A failed request, with the HTTP status (0 when the server could not be reached). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function getJson<T>(url: string): Promise<T> {
  let response: Response;
  try {
    // Never from the HTTP cache: progress changes, and lessons change on disk while authoring.
    response = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
  } catch (cause) {
    throw new ApiError(`cannot reach the lab server (${(cause as Error).message})`, 0);
  }
  if (!response.ok) {
    throw new ApiError(
      `${url} answered ${response.status} ${response.statusText}`,
      response.status,
    );
  }
  return (await response.json()) as T;
}

export function fetchCourse(): Promise<Course> {
  return getJson<Course>('/api/course');
}

export function fetchLesson(id: string): Promise<Lesson> {
  return getJson<Lesson>(`/api/lessons/${encodeURIComponent(id)}`);
}

export function fetchGlossary(): Promise<Glossary> {
  return getJson<Glossary>('/api/glossary');
}

/**
 * Records that the learner has started a lesson; resolves to whether the server took it.
 * Best effort, never rejects: progress is not worth an error message.
 */
export async function markLessonStarted(id: string): Promise<boolean> {
  try {
    const response = await fetch(`/api/progress/${encodeURIComponent(id)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'started' }),
    });
    return response.ok;
  } catch {
    return false;
  }
}

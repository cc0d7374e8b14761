/**
 * The lab's HTTP API (same origin): the course outline, one lesson, the glossary, and lesson
 * progress.
 * The reply shapes are declared once in shared/http-api.ts, beside the WebSocket protocol.
 */
import type { Course, Glossary, Lesson } from '../shared/http-api.js';

export type {
  Course,
  CourseLesson,
  Glossary,
  Lesson,
  LessonFile,
  LessonLink,
  LessonState,
} from '../shared/http-api.js';

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

/**
 * The course page (/): the course title and its lessons in order, each a link to the lesson
 * with the learner's progress on it (done ✓, started, new), and the way to the glossary. The
 * progress is fetched again each time the page is shown, so coming back from a lesson shows
 * what was done there.
 */
import { type Course, type CourseLesson, fetchCourse, type LessonState } from './api.js';
import { h } from './dom.js';
import { renderError, topBar } from './page-frame.js';

const STATE_LABELS: Record<LessonState, string> = {
  done: 'done ✓',
  started: 'started',
  new: 'new',
};

function renderLesson(lesson: CourseLesson, index: number): HTMLElement {
  const state = STATE_LABELS[lesson.state] ? lesson.state : 'new';
  return h(
    'li',
    { class: 'course-lesson', 'data-state': state },
    h('span', { class: 'lesson-number', 'aria-hidden': 'true' }, String(index + 1)),
    h(
      'div',
      { class: 'course-lesson-text' },
      h(
        'a',
        { class: 'course-lesson-link', href: `/lessons/${encodeURIComponent(lesson.id)}` },
        lesson.title,
      ),
      lesson.summary ? h('p', { class: 'course-lesson-summary' }, lesson.summary) : null,
    ),
    h('span', { class: `lesson-state state-${state}` }, STATE_LABELS[state]),
  );
}

function renderCourse(course: Course): HTMLElement {
  const done = course.lessons.filter((l) => l.state === 'done').length;
  return h(
    'div',
    { class: 'plain-page' },
    topBar(null),
    h(
      'main',
      { class: 'course-page' },
      h('h1', {}, course.title),
      h(
        'p',
        { class: 'course-progress' },
        `${course.lessons.length} lessons · ${done} done · `,
        h('a', { href: '/glossary' }, 'Glossary'),
      ),
      h(
        'ol',
        { class: 'course-lessons', 'aria-label': 'Lessons' },
        ...course.lessons.map(renderLesson),
      ),
    ),
  );
}

/** The course as last rendered: a refresh that brings no news leaves the page (and focus) be. */
let shown: string | null = null;
let watching = false;

export async function showCoursePage(root: HTMLElement): Promise<void> {
  if (!watching) {
    watching = true;
    // Back from a lesson, the browser may restore this page as it was (back/forward cache),
    // and a tab left in the background misses progress made in another: fetch again each time.
    window.addEventListener('pageshow', (event) => {
      if (event.persisted) void showCoursePage(root);
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') void showCoursePage(root);
    });
  }
  let course: Course;
  try {
    course = await fetchCourse();
  } catch (err) {
    // A refresh that fails keeps the course already shown.
    if (shown === null) renderError(root, 'Could not load the course', (err as Error).message);
    return;
  }
  const json = JSON.stringify(course);
  if (json === shown) return;
  shown = json;
  document.title = course.title;
  root.replaceChildren(renderCourse(course));
}

/**
 * The course page (/): the course title and its lessons in order (a class that names its
 * lessons puts them first, in its order, the rest of the course below), each a link to the lesson
 * with the learner's progress on it (done ✓, started, new), and the way to the glossary. The
 * progress is fetched again each time the page is shown, so coming back from a lesson shows
 * what was done there.
 */
import { type Course, type CourseLesson, fetchCourse, type LessonState } from './api.js';
import { fetchClassroom, type LearnerClassroom } from './class-api.js';
import { h } from './dom.js';
import { joinCodeInput } from './join-page.js';
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

/**
 * The class the learner is in, or the field to join one with the code the instructor shows
 * (it leads to /join/CODE, which asks for a display name).
 */
function renderClassBox(classroom: LearnerClassroom | null): HTMLElement {
  const inClasses = classroom?.classes ?? [];
  const input = joinCodeInput('course-join-code');
  const form = h(
    'form',
    { class: 'join-inline', 'aria-label': 'Join a class' },
    h('label', { class: 'field-label', for: 'course-join-code' }, 'Join a class: code'),
    input,
    h('button', { type: 'submit' }, 'Join'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = input.value.replace(/[\s-]/g, '');
    if (code) location.assign(`/join/${encodeURIComponent(code)}`);
  });
  return h(
    'div',
    { class: 'class-box' },
    inClasses.length > 0
      ? h(
          'p',
          { class: 'class-member-note' },
          ...inClasses.flatMap((c, i) => [
            i === 0 ? 'You are in ' : ', ',
            h('strong', {}, c.name),
            ` as ${c.displayName}`,
          ]),
          '.',
        )
      : null,
    form,
  );
}

function renderCourse(course: Course, classroom: LearnerClassroom | null): HTMLElement {
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
      renderClassBox(classroom),
      course.className
        ? h('h2', { class: 'course-list-title' }, `Lessons of ${course.className}`)
        : null,
      h(
        'ol',
        { class: 'course-lessons', 'aria-label': 'Lessons' },
        ...course.lessons.map(renderLesson),
      ),
      // A class that names its lessons leaves the rest of the course reachable, below them.
      course.otherLessons.length > 0
        ? h('h2', { class: 'course-list-title' }, 'More of the course')
        : null,
      course.otherLessons.length > 0
        ? h(
            'ol',
            { class: 'course-lessons other-lessons', 'aria-label': 'More of the course' },
            ...course.otherLessons.map(renderLesson),
          )
        : null,
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
  let classroom: LearnerClassroom | null;
  try {
    // The classroom is extra: a lab that cannot say shows the course and the join field.
    [course, classroom] = await Promise.all([fetchCourse(), fetchClassroom().catch(() => null)]);
  } catch (err) {
    // A refresh that fails keeps the course already shown.
    if (shown === null) renderError(root, 'Could not load the course', (err as Error).message);
    return;
  }
  const json = JSON.stringify([course, classroom]);
  if (json === shown) return;
  shown = json;
  document.title = course.title;
  root.replaceChildren(renderCourse(course, classroom));
}

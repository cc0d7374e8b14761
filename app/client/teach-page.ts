/**
 * The instructor's home (/teach). The instructor link lands here with its secret in the URL's
 * fragment (which the browser never sends): the page posts it once for a session cookie and
 * drops the fragment from the address bar and history at once, so the secret is not left on
 * screen or in a bookmark. Signed in, it lists the classes (name, join code, open or closed,
 * learners) and has the form for a new one: a name and, optionally, which lessons in what order.
 */
import { type Course, fetchCourse } from './api.js';
import {
  type ClassSummary,
  createClass,
  fetchClasses,
  fetchInstructorSession,
  signIn,
  signOut,
} from './class-api.js';
import { button, h, replaceChildren } from './dom.js';
import { renderError, topBar } from './page-frame.js';

/** The way in for someone who reached /teach without being signed in. */
export function notInstructorPage(root: HTMLElement, problem: string | null): void {
  document.title = 'Instructor · ebpf-lab';
  root.replaceChildren(
    h(
      'div',
      { class: 'plain-page' },
      topBar('Instructor'),
      h(
        'main',
        { class: 'message-page' },
        h('h1', {}, 'Sign in as the instructor'),
        problem ? h('p', { class: 'form-error', role: 'alert' }, problem) : null,
        h(
          'p',
          {},
          'Open the instructor link that ',
          h('code', {}, 'npm start'),
          ' (or ',
          h('code', {}, 'ebpf-lab serve'),
          ') printed beside the lab’s address — it looks like ',
          h('code', {}, 'http://127.0.0.1:3000/teach#…'),
          '. Only the newest link works; ',
          h('code', {}, 'ebpf-lab instructor-link'),
          ', run on the lab’s machine, prints a new one.',
        ),
        h('p', {}, 'Learners do not need this page: they join a class with its code.'),
        h('p', {}, h('a', { href: '/' }, 'Back to the course')),
      ),
    ),
  );
}

/**
 * Signs in with the fragment's secret when there is one; resolves to whether this browser is
 * the instructor's, and the sign-in's problem if it failed.
 */
export async function instructorSignIn(): Promise<{ instructor: boolean; problem: string | null }> {
  const secret = location.hash.slice(1);
  let problem: string | null = null;
  if (secret) {
    // Off the address bar and out of history before anything else happens.
    history.replaceState(history.state, '', location.pathname + location.search);
    try {
      await signIn({ secret: decodeURIComponent(secret) });
    } catch (err) {
      problem = (err as Error).message;
    }
  }
  const { instructor } = await fetchInstructorSession();
  return { instructor, problem: instructor ? null : problem };
}

export async function showTeachPage(root: HTMLElement): Promise<void> {
  let state: Awaited<ReturnType<typeof instructorSignIn>>;
  try {
    state = await instructorSignIn();
  } catch (err) {
    renderError(root, 'Could not reach the lab server', (err as Error).message);
    return;
  }
  if (!state.instructor) return notInstructorPage(root, state.problem);

  let classes: ClassSummary[];
  let course: Course;
  try {
    [classes, course] = await Promise.all([fetchClasses(), fetchCourse()]);
  } catch (err) {
    renderError(root, 'Could not load your classes', (err as Error).message);
    return;
  }
  document.title = 'Classes · ebpf-lab';
  const list = h('div', { class: 'class-list-holder' });
  const showClasses = (all: ClassSummary[]) => replaceChildren(list, classTable(all));
  showClasses(classes);
  const signOutButton = button(
    'Sign out',
    () => {
      void signOut().then(
        () => notInstructorPage(root, null),
        (err: Error) => alert(`Could not sign out: ${err.message}`),
      );
    },
    { class: 'small' },
  );
  root.replaceChildren(
    h(
      'div',
      { class: 'plain-page' },
      topBar('Instructor', signOutButton),
      h(
        'main',
        { class: 'teach-page' },
        h('h1', {}, 'Your classes'),
        h(
          'p',
          { class: 'course-progress' },
          'This browser is signed in as the instructor. Open a class for its join code and live dashboard.',
        ),
        list,
        createForm(course, (created) => {
          location.assign(`/teach/${created.id}`);
        }),
      ),
    ),
  );
}

function classTable(classes: ClassSummary[]): HTMLElement {
  if (classes.length === 0) {
    return h('p', { class: 'empty-note' }, 'No classes yet: create the first one below.');
  }
  const newestFirst = [...classes].sort((a, b) => b.createdAt - a.createdAt);
  return h(
    'table',
    { class: 'class-table', 'aria-label': 'Classes' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Class'),
        h('th', { scope: 'col' }, 'Join code'),
        h('th', { scope: 'col' }, 'Joining'),
        h('th', { scope: 'col' }, 'Learners'),
        h('th', { scope: 'col' }, 'Lessons'),
      ),
    ),
    h(
      'tbody',
      {},
      ...newestFirst.map((c) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { class: 'class-link', href: `/teach/${c.id}` }, c.name)),
          h('td', {}, h('span', { class: 'join-code-small' }, c.joinCode)),
          h(
            'td',
            {},
            h(
              'span',
              { class: `pill ${c.open ? 'pill-ok' : 'pill-muted'}` },
              c.open ? 'open' : 'closed',
            ),
          ),
          h('td', { class: 'number' }, String(c.memberCount)),
          h('td', {}, c.wholeCourse ? 'whole course' : `${c.lessons.length} chosen`),
        ),
      ),
    ),
  );
}

/**
 * The new-class form. Lessons are ticked in the course's order and listed below in the class's
 * order, where ↑ and ↓ move them; none ticked means the whole course (lessons added to the course
 * later are in it too).
 */
function createForm(course: Course, created: (summary: ClassSummary) => void): HTMLElement {
  const chosen: string[] = [];
  const titles = new Map(course.lessons.map((l) => [l.id, l.title]));
  const nameInput = h('input', {
    type: 'text',
    id: 'class-name',
    name: 'name',
    required: true,
    maxlength: 80,
    autocomplete: 'off',
    placeholder: 'e.g. Monday workshop',
  });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const orderList = h('ol', { class: 'chosen-lessons', 'aria-label': 'Class lessons in order' });
  const orderNote = h('p', { class: 'field-hint' });
  const boxes = course.lessons.map((lesson) => {
    const box = h('input', { type: 'checkbox', value: lesson.id });
    box.addEventListener('change', () => {
      const at = chosen.indexOf(lesson.id);
      if (box.checked && at < 0) chosen.push(lesson.id);
      if (!box.checked && at >= 0) chosen.splice(at, 1);
      renderOrder();
    });
    return h('label', { class: 'lesson-choice' }, box, h('span', {}, lesson.title));
  });
  const move = (index: number, by: number) => {
    const to = index + by;
    if (to < 0 || to >= chosen.length) return;
    [chosen[index], chosen[to]] = [chosen[to] as string, chosen[index] as string];
    renderOrder();
    orderList.querySelectorAll('button')[to * 2 + (by < 0 ? 0 : 1)]?.focus();
  };
  const renderOrder = () => {
    orderNote.textContent =
      chosen.length === 0
        ? 'None ticked: the class follows the whole course, lessons added later included.'
        : `The class’s ${chosen.length} lesson${chosen.length === 1 ? '' : 's'}, in order:`;
    replaceChildren(
      orderList,
      ...chosen.map((id, i) =>
        h(
          'li',
          { class: 'chosen-lesson' },
          h('span', { class: 'chosen-title' }, titles.get(id) ?? id),
          button('↑', () => move(i, -1), {
            class: 'icon',
            'aria-label': `Move ${titles.get(id) ?? id} up`,
            disabled: i === 0,
          }),
          button('↓', () => move(i, 1), {
            class: 'icon',
            'aria-label': `Move ${titles.get(id) ?? id} down`,
            disabled: i === chosen.length - 1,
          }),
        ),
      ),
    );
  };
  renderOrder();
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create class');
  const form = h(
    'form',
    { class: 'create-class', 'aria-label': 'New class' },
    h('h2', {}, 'New class'),
    h('label', { class: 'field-label', for: 'class-name' }, 'Name'),
    nameInput,
    h(
      'fieldset',
      { class: 'lesson-choices' },
      h('legend', { class: 'field-label' }, 'Lessons (optional)'),
      ...boxes,
    ),
    orderNote,
    orderList,
    error,
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    createClass({ name: nameInput.value, ...(chosen.length > 0 ? { lessons: [...chosen] } : {}) })
      .then(created)
      .catch((err: Error) => {
        error.textContent = err.message;
        error.hidden = false;
        submit.disabled = false;
      });
  });
  return form;
}

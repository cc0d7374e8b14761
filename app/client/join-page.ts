/**
 * The learner's way into a class. `/join/CODE`: a display name, then the learner's personal
 * resume link, shown once with a copy button (it brings their progress back in another browser),
 * then on to the course. `/resume#SECRET`: that link, which posts its secret once (the fragment
 * never reaches the server's logs) and drops it from the address bar.
 */
import { type JoinReply, joinClass, resume as resumeClass } from './class-api.js';
import { copyWithFeedback } from './copy-text.js';
import { button, h, replaceChildren } from './dom.js';
import { topBar } from './page-frame.js';

function page(title: string, ...body: (Node | string | null)[]): HTMLElement {
  document.title = `${title} · ebpf-lab`;
  return h(
    'div',
    { class: 'plain-page' },
    topBar(title),
    h('main', { class: 'message-page join-page' }, ...body),
  );
}

/** The field a join code is typed in (the join page's, the course page's). */
export function joinCodeInput(id: string): HTMLInputElement {
  return h('input', {
    type: 'text',
    id,
    name: 'code',
    required: true,
    maxlength: 12,
    autocomplete: 'off',
    autocapitalize: 'characters',
    spellcheck: 'false',
    class: 'code-input',
    placeholder: 'K7M2QX',
  });
}

export function showJoinPage(root: HTMLElement, code: string): void {
  const nameInput = h('input', {
    type: 'text',
    id: 'display-name',
    name: 'name',
    required: true,
    maxlength: 60,
    autocomplete: 'nickname',
    placeholder: 'e.g. Ada L.',
  });
  const codeInput = joinCodeInput('join-code');
  codeInput.value = code.toUpperCase();
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Join the class');
  const form = h(
    'form',
    { class: 'join-form', 'aria-label': 'Join a class' },
    h('label', { class: 'field-label', for: 'join-code' }, 'Class code'),
    codeInput,
    h(
      'label',
      { class: 'field-label', for: 'display-name' },
      'Your name, as your instructor will see it',
    ),
    nameInput,
    error,
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    joinClass({ code: codeInput.value, name: nameInput.value }).then(
      (joined) => root.replaceChildren(joinedPage(joined)),
      (err: Error) => {
        error.textContent = err.message;
        error.hidden = false;
        submit.disabled = false;
      },
    );
  });
  root.replaceChildren(
    page(
      'Join a class',
      h('h1', {}, 'Join a class'),
      h(
        'p',
        {},
        'Your instructor sees your name, which lesson you are on and how it goes, so they can help. Nobody else in the class sees your work.',
      ),
      form,
    ),
  );
  (code ? nameInput : codeInput).focus();
}

function joinedPage(joined: JoinReply): HTMLElement {
  const link = h('code', { class: 'resume-url' }, joined.resumeUrl);
  const copy = button('Copy link', (event) =>
    copyWithFeedback(joined.resumeUrl, event.currentTarget as HTMLButtonElement),
  );
  return page(
    joined.className,
    h('h1', {}, `Welcome, ${joined.displayName}`),
    h('p', {}, 'You are in the class ', h('strong', {}, joined.className), '.'),
    h(
      'section',
      { class: 'keep-link', 'aria-label': 'Your resume link' },
      h('h2', {}, 'Keep this link'),
      h(
        'p',
        {},
        'It brings your progress back in another browser, or if this one forgets you. It is shown only once and it is yours alone: do not share it.',
      ),
      h('div', { class: 'resume-row' }, link, copy),
    ),
    h(
      'p',
      { class: 'form-actions' },
      h('a', { class: 'button-link primary', href: '/' }, 'Continue to the course'),
    ),
  );
}

export async function showResumePage(root: HTMLElement): Promise<void> {
  const secret = location.hash.slice(1);
  history.replaceState(history.state, '', location.pathname + location.search);
  const body = h('div', {}, h('p', { class: 'muted' }, 'Bringing back your progress…'));
  root.replaceChildren(page('Welcome back', h('h1', {}, 'Welcome back'), body));
  if (!secret) {
    replaceChildren(
      body,
      h(
        'p',
        { role: 'alert' },
        'This link is incomplete: open the whole resume link you kept when you joined, or ask your instructor for a new one.',
      ),
    );
    return;
  }
  try {
    const back = await resumeClass({ secret: decodeURIComponent(secret) });
    replaceChildren(
      body,
      h(
        'p',
        {},
        `You are ${back.displayName} in `,
        h('strong', {}, back.className),
        ' again, with your progress.',
      ),
      h(
        'p',
        { class: 'form-actions' },
        h('a', { class: 'button-link primary', href: '/' }, 'Continue to the course'),
      ),
    );
  } catch (err) {
    replaceChildren(body, h('p', { class: 'form-error', role: 'alert' }, (err as Error).message));
  }
}

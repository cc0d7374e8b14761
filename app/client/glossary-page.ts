/**
 * The glossary page (/glossary): the course's terms, rendered and sanitized by the server with
 * an `id` on each term's heading, so a lesson links a term as `/glossary#kprobe`. The text
 * arrives after the page has loaded, too late for the browser's own jump to the fragment, so
 * the page brings the term into view itself (and again whenever the fragment changes).
 */
import { fetchGlossary, type Glossary } from './api.js';
import { h, openExternalLinksInNewTab } from './dom.js';
import { renderError, topBar } from './page-frame.js';

const TARGET_CLASS = 'glossary-target';

/** The term the URL's fragment names, if the glossary has it. */
function targetOf(body: HTMLElement): HTMLElement | null {
  let id = location.hash.slice(1);
  if (!id) return null;
  try {
    id = decodeURIComponent(id);
  } catch {
    // A malformed escape: look the fragment up as it is.
  }
  const target = document.getElementById(id);
  return target && body.contains(target) ? target : null;
}

/** Scrolls to the fragment's term, marks it, and moves focus there for keyboard users. */
function revealTerm(body: HTMLElement): void {
  const target = targetOf(body);
  if (!target) return;
  for (const marked of body.querySelectorAll(`.${TARGET_CLASS}`)) {
    marked.classList.remove(TARGET_CLASS);
  }
  target.classList.add(TARGET_CLASS);
  if (!target.hasAttribute('tabindex')) target.tabIndex = -1;
  target.focus({ preventScroll: true });
  target.scrollIntoView({ block: 'start' });
}

function renderGlossary(glossary: Glossary): { page: HTMLElement; body: HTMLElement } {
  const body = h('article', { class: 'lesson-body glossary-body' });
  // Rendered and sanitized by the server, like a lesson's text.
  body.innerHTML = glossary.html;
  if (!body.querySelector('h1')) body.prepend(h('h1', {}, glossary.title));
  openExternalLinksInNewTab(body);
  const page = h(
    'div',
    { class: 'plain-page' },
    topBar(glossary.title),
    h(
      'main',
      { class: 'glossary-page' },
      h(
        'p',
        { class: 'back-link' },
        h('a', { href: '/' }, h('span', { 'aria-hidden': 'true' }, '← '), 'Back to the course'),
      ),
      h('section', { class: 'glossary', role: 'region', 'aria-label': 'Glossary' }, body),
    ),
  );
  return { page, body };
}

export async function showGlossaryPage(root: HTMLElement): Promise<void> {
  let glossary: Glossary;
  try {
    glossary = await fetchGlossary();
  } catch (err) {
    const notFound = (err as { status?: number }).status === 404;
    renderError(
      root,
      notFound ? 'No glossary' : 'Could not load the glossary',
      notFound ? 'This course has no glossary.' : (err as Error).message,
    );
    return;
  }
  document.title = `${glossary.title} · ebpf-lab`;
  const { page, body } = renderGlossary(glossary);
  root.replaceChildren(page);
  revealTerm(body);
  // Links between terms change only the fragment: no reload, so follow them here.
  window.addEventListener('hashchange', () => revealTerm(body));
}

/** What every page shares: the top bar with the way home, and the error page. */
import { type Child, h } from './dom.js';

/**
 * The top bar: the lab's name (a link to the course), the page's title with `badge` after it,
 * and `extra` on the right.
 */
export function topBar(
  title: string | null,
  extra: Child = null,
  badge: Child = null,
): HTMLElement {
  return h(
    'header',
    { class: 'top-bar' },
    h(
      'a',
      { class: 'brand', href: '/' },
      h('span', { class: 'brand-mark', 'aria-hidden': 'true' }),
      'ebpf-lab',
    ),
    title ? h('span', { class: 'top-bar-title' }, title) : null,
    badge,
    h('div', { class: 'top-bar-spacer' }),
    extra,
  );
}

/** A page that says what went wrong, with the way back to the course. */
export function renderError(root: HTMLElement, title: string, detail: string): void {
  document.title = `${title} · ebpf-lab`;
  root.replaceChildren(
    h(
      'div',
      { class: 'plain-page' },
      topBar(null),
      h(
        'main',
        { class: 'message-page' },
        h('h1', {}, title),
        h('p', {}, detail),
        h('p', {}, h('a', { href: '/' }, 'Back to the course')),
      ),
    ),
  );
}

/**
 * Tiny DOM helpers: build elements from a tag, attributes and children. Text always goes in as
 * text nodes, so nothing from the server or the learner is ever parsed as HTML here. Also the
 * one rule for links in the server's HTML (lessons, glossary).
 */

export type Child = Node | string | null | undefined | false;
export type Attributes = Record<string, string | number | boolean | null | undefined>;

/** `h('button', { class: 'primary', type: 'button' }, 'Run')`. `false`/`null` attributes are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/**
 * A pane of the lesson page: a region named `title` (for screen readers and tests), a toolbar
 * with the title as its heading followed by `tools`, then `body`.
 */
export function pane(
  title: string,
  className: string,
  tools: Child[],
  ...body: Child[]
): HTMLElement {
  return h(
    'section',
    { class: `pane ${className}`, role: 'region', 'aria-label': title },
    h('div', { class: 'pane-toolbar' }, h('h2', { class: 'pane-title' }, title), ...tools),
    ...body,
  );
}

/** A `<button type="button">` (never a form submit) calling `onClick`. */
export function button(
  label: Child,
  onClick: (event: MouseEvent) => void,
  attributes: Attributes = {},
): HTMLButtonElement {
  const element = h('button', { type: 'button', ...attributes }, label);
  element.addEventListener('click', onClick);
  return element;
}

/** Replaces all of `parent`'s children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** Links that leave the lab open in a new tab, so the lab (and its sandbox) stays put. */
export function openExternalLinksInNewTab(root: HTMLElement): void {
  for (const link of root.querySelectorAll<HTMLAnchorElement>('a[href]')) {
    if (link.origin !== location.origin) {
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
    }
  }
}

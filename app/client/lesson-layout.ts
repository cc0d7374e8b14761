/**
 * The lesson page's layout: lesson on the left, editor (with the checks, bytecode and maps panels) top
 * right, the two terminals below it, with draggable splitters between them. On narrow screens
 * the stylesheet stacks everything and shows tabs that pick one terminal.
 */
import { button, h } from './dom.js';
import { createSplitter } from './splitter.js';

export type TerminalName = 'trace' | 'shell';

export interface LessonLayoutParts {
  lesson: HTMLElement;
  editor: HTMLElement;
  checks: HTMLElement;
  bytecode: HTMLElement;
  maps: HTMLElement;
  trace: HTMLElement;
  shell: HTMLElement;
}

export interface LessonLayout {
  element: HTMLElement;
  /** Brings a terminal forward (matters on narrow screens, where only one shows). */
  showTerminal(name: TerminalName): void;
  /**
   * `lines` new lines arrived in a terminal: while its tab is the hidden one (narrow screens),
   * the tab counts them, so the learner knows there is something to see.
   */
  newOutput(name: TerminalName, lines: number): void;
}

export function createLessonLayout(parts: LessonLayoutParts): LessonLayout {
  parts.trace.id = 'trace-pane';
  parts.shell.id = 'shell-pane';
  const tabs = new Map<TerminalName, HTMLButtonElement>();
  const badges = new Map<TerminalName, { element: HTMLElement; count: number }>();
  const terminals = h('div', { class: 'terminals' });
  const setBadge = (name: TerminalName, count: number) => {
    const badge = badges.get(name);
    if (!badge) return;
    badge.count = count;
    badge.element.hidden = count === 0;
    badge.element.textContent = count > 999 ? '999+ new' : `${count} new`;
  };
  const showTerminal = (name: TerminalName) => {
    terminals.dataset.active = name;
    for (const [tabName, tab] of tabs) tab.setAttribute('aria-selected', String(tabName === name));
    setBadge(name, 0);
  };
  const tablist = h('div', { class: 'terminal-tabs', role: 'tablist', 'aria-label': 'Terminals' });
  for (const [name, label] of [
    ['trace', 'Trace output'],
    ['shell', 'Sandbox shell'],
  ] as const) {
    const badge = h('span', { class: 'tab-badge', hidden: true });
    badges.set(name, { element: badge, count: 0 });
    const tab = button(h('span', {}, label, badge), () => showTerminal(name), {
      role: 'tab',
      class: 'terminal-tab',
      'aria-controls': `${name}-pane`,
    });
    tabs.set(name, tab);
    tablist.append(tab);
  }
  terminals.append(tablist, parts.trace, parts.shell);
  showTerminal('trace');

  const work = h('div', { class: 'work-area' });
  work.append(
    h('div', { class: 'editor-stack' }, parts.editor, parts.checks, parts.bytecode, parts.maps),
    createSplitter({
      layout: work,
      property: '--editor-size',
      orientation: 'horizontal',
      label: 'Resize the editor and the terminals',
      storageKey: 'ebpf-lab:layout:editor',
      initial: 58,
      min: 20,
      max: 85,
    }),
    terminals,
  );

  const element = h('main', { class: 'lab-layout' });
  element.append(
    parts.lesson,
    createSplitter({
      layout: element,
      property: '--lesson-size',
      orientation: 'vertical',
      label: 'Resize the lesson and the workspace',
      storageKey: 'ebpf-lab:layout:lesson',
      initial: 36,
      min: 18,
      max: 65,
    }),
    work,
  );
  const newOutput = (name: TerminalName, lines: number) => {
    // The tabs show on narrow screens only; elsewhere both terminals are in view.
    const tabsShown = tablist.offsetParent !== null;
    if (!tabsShown || terminals.dataset.active === name || lines <= 0) return;
    setBadge(name, (badges.get(name)?.count ?? 0) + lines);
  };
  return { element, showTerminal, newOutput };
}

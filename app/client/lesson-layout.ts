/**
 * The lesson page's layout: lesson on the left, editor (with the checks and bytecode panels) top
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
  trace: HTMLElement;
  shell: HTMLElement;
}

export interface LessonLayout {
  element: HTMLElement;
  /** Brings a terminal forward (matters on narrow screens, where only one shows). */
  showTerminal(name: TerminalName): void;
}

export function createLessonLayout(parts: LessonLayoutParts): LessonLayout {
  parts.trace.id = 'trace-pane';
  parts.shell.id = 'shell-pane';
  const tabs = new Map<TerminalName, HTMLButtonElement>();
  const terminals = h('div', { class: 'terminals' });
  const showTerminal = (name: TerminalName) => {
    terminals.dataset.active = name;
    for (const [tabName, tab] of tabs) tab.setAttribute('aria-selected', String(tabName === name));
  };
  const tablist = h('div', { class: 'terminal-tabs', role: 'tablist', 'aria-label': 'Terminals' });
  for (const [name, label] of [
    ['trace', 'Trace output'],
    ['shell', 'Sandbox shell'],
  ] as const) {
    const tab = button(label, () => showTerminal(name), {
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
    h('div', { class: 'editor-stack' }, parts.editor, parts.checks, parts.bytecode),
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
  return { element, showTerminal };
}

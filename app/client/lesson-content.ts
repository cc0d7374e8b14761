/**
 * The "Lesson" region: the lesson text (Markdown the server has rendered and sanitized), the
 * buttons that connect its code blocks to the lab ("Open in editor" for C and Python, "Run in
 * shell" for shell sessions), and the links to the previous and next lessons.
 */
import type { Lesson } from './api.js';
import { button, h, openExternalLinksInNewTab } from './dom.js';
import type { CodeLanguage } from './editor.js';

export interface LessonContentActions {
  openInEditor(text: string, language: CodeLanguage): void;
  /** `commands`: what to type, each line ending with a carriage return. */
  runInShell(commands: string): void;
}

const EDITOR_LANGUAGES: Record<string, CodeLanguage> = {
  c: 'c',
  h: 'c',
  python: 'python',
  python3: 'python',
  py: 'python',
};
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console', 'shell-session']);

/**
 * The commands of a shell block, one per line. In a `console` transcript the lines starting
 * with a `$ ` prompt are the commands (prompt removed; a line ending in `\` continues on the
 * next, `> ` removed); the other lines are output and are not typed. A block with no prompt at
 * all is taken whole.
 */
export function shellCommands(text: string, language: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  if (language !== 'console' || !lines.some((line) => line.startsWith('$ '))) return lines;
  const commands: string[] = [];
  let continued = false;
  for (const line of lines) {
    if (line.startsWith('$ ')) commands.push(line.slice(2));
    else if (continued) commands.push(line.replace(/^> /, ''));
    else continue;
    continued = line.endsWith('\\');
  }
  return commands;
}

function codeText(block: Element): string {
  const code = block.querySelector('code') ?? block;
  return (code.textContent ?? '').replace(/\n$/, '');
}

/** Adds a header to each `.code-block` of the lesson text: its language and the lab's button. */
function decorateCodeBlocks(root: HTMLElement, actions: LessonContentActions): void {
  for (const block of root.querySelectorAll<HTMLElement>('.code-block')) {
    const language = (block.dataset.lang ?? '').toLowerCase();
    const editorLanguage = EDITOR_LANGUAGES[language];
    let action: HTMLButtonElement | null = null;
    if (editorLanguage) {
      action = button(
        'Open in editor',
        () => actions.openInEditor(codeText(block), editorLanguage),
        { class: 'small', title: 'Load this code into the editor (Ctrl+Z undoes it)' },
      );
    } else if (SHELL_LANGUAGES.has(language)) {
      action = button(
        'Run in shell',
        () => {
          const commands = shellCommands(codeText(block), language);
          if (commands.length > 0) actions.runInShell(`${commands.join('\r')}\r`);
        },
        { class: 'small', title: 'Type these commands into the sandbox shell' },
      );
    }
    if (!action && !language) continue;
    block.prepend(
      h('div', { class: 'code-actions' }, h('span', { class: 'code-lang' }, language), action),
    );
  }
}

export interface LessonContent {
  element: HTMLElement;
  /** Shows `lesson`'s text instead (it changed on disk), keeping the reader's place. */
  update(lesson: Lesson): void;
}

function renderText(lesson: Lesson, actions: LessonContentActions): HTMLElement[] {
  const body = h('article', { class: 'lesson-body' });
  // Rendered and sanitized by the server: the one place HTML is set directly.
  body.innerHTML = lesson.html;
  if (!body.querySelector('h1')) body.prepend(h('h1', {}, lesson.title));
  decorateCodeBlocks(body, actions);
  openExternalLinksInNewTab(body);

  const nav = h(
    'nav',
    { class: 'lesson-nav', 'aria-label': 'Previous and next lessons' },
    lesson.prev
      ? h(
          'a',
          { class: 'lesson-nav-prev', href: `/lessons/${encodeURIComponent(lesson.prev.id)}` },
          `← Previous: ${lesson.prev.title}`,
        )
      : h('span'),
    lesson.next
      ? h(
          'a',
          { class: 'lesson-nav-next', href: `/lessons/${encodeURIComponent(lesson.next.id)}` },
          `Next: ${lesson.next.title} →`,
        )
      : h('a', { class: 'lesson-nav-next', href: '/' }, 'Back to the course →'),
  );

  return [body, nav];
}

export function createLessonContent(lesson: Lesson, actions: LessonContentActions): LessonContent {
  const scroll = h('div', { class: 'lesson-scroll' }, ...renderText(lesson, actions));
  return {
    element: h(
      'section',
      { class: 'pane lesson-pane', role: 'region', 'aria-label': 'Lesson' },
      scroll,
    ),
    update(next) {
      // An author edits a paragraph and looks at it again: stay where they were reading.
      const { scrollTop } = scroll;
      scroll.replaceChildren(...renderText(next, actions));
      scroll.scrollTop = scrollTop;
    },
  };
}

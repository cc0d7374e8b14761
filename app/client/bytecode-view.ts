/**
 * The "Bytecode" panel: what the kernel actually runs. For each loaded program, two columns: the
 * verified instructions (xlated) grouped under the line of the learner's source they came from,
 * and the JIT-compiled machine code. Collapsible, since it is for the curious. It shows only
 * the program of this page's latest Run: a rejected Run empties it, and with nothing to show it
 * is collapsed (it starts collapsed on every lesson), so it never takes the editor's room.
 */
import type { BytecodeInstruction, BytecodeProgram, ServerMessageOf } from '../shared/protocol.js';
import { button, h, pane, replaceChildren } from './dom.js';

/** Consecutive instructions from one source line. */
interface InstructionGroup {
  line: number | undefined;
  instructions: BytecodeInstruction[];
}

/**
 * Groups instructions by source line. An instruction without a line continues the group before
 * it: BPF line info marks where a line's instructions start, not every instruction.
 */
export function groupBySourceLine(
  instructions: readonly BytecodeInstruction[],
): InstructionGroup[] {
  const groups: InstructionGroup[] = [];
  for (const instruction of instructions) {
    const last = groups.at(-1);
    if (last && (instruction.line === undefined || instruction.line === last.line)) {
      last.instructions.push(instruction);
    } else {
      groups.push({ line: instruction.line, instructions: [instruction] });
    }
  }
  return groups;
}

export class BytecodeView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly toggle: HTMLButtonElement;

  constructor() {
    this.summary = h('span', { class: 'pane-summary' }, 'Run a probe to see its bytecode');
    this.body = h('div', { class: 'bytecode-body', id: 'bytecode-body' });
    this.toggle = button(
      '',
      () => this.setOpen(this.toggle.getAttribute('aria-expanded') !== 'true'),
      {
        class: 'small',
        'aria-controls': 'bytecode-body',
      },
    );
    this.element = pane(
      'Bytecode',
      'bytecode-pane',
      [this.summary, h('div', { class: 'toolbar-spacer' }), this.toggle],
      this.body,
    );
    this.setOpen(false);
  }

  setOpen(open: boolean): void {
    this.toggle.setAttribute('aria-expanded', String(open));
    this.toggle.textContent = open ? 'Hide bytecode' : 'Show bytecode';
    this.body.hidden = !open;
    this.element.classList.toggle('open', open);
  }

  /**
   * No program to show (a rejected Run): says why in the toolbar, and folds away. The body stays
   * empty, so opening it again takes none of the editor's room to repeat the toolbar.
   */
  clear(summary: string): void {
    this.summary.textContent = summary;
    replaceChildren(this.body);
    this.setOpen(false);
  }

  /** The shown program is no longer loaded (the run stopped): it stays, marked as such. */
  markUnloaded(): void {
    if (!this.body.querySelector('.bytecode-program')) return;
    if (!this.summary.textContent?.startsWith('Last Run')) {
      this.summary.textContent = `Last Run (stopped): ${this.summary.textContent}`;
    }
  }

  /** A probe attached and its bytecode was asked for. */
  showPending(): void {
    this.summary.textContent = 'Loading…';
    replaceChildren(this.body, h('p', { class: 'muted' }, 'Asking the kernel for the programs…'));
  }

  /** `sourceLine(n)` is line n of the source that was run, when known. */
  render(
    message: ServerMessageOf<'bytecode'>,
    sourceLine: (line: number) => string | undefined,
  ): void {
    const { programs, error } = message;
    const total = programs.reduce((sum, p) => sum + p.xlated.length, 0);
    // Nothing to read: no reason to take the editor's room.
    if (programs.length === 0) this.setOpen(false);
    this.summary.textContent =
      programs.length === 0
        ? error
          ? 'Not available'
          : 'No programs loaded'
        : `${programs.map((p) => p.name).join(', ')} · ${total} instruction${total === 1 ? '' : 's'}`;
    replaceChildren(
      this.body,
      error ? h('p', { class: 'bytecode-error', role: 'alert' }, error) : null,
      ...programs.map((program) => this.renderProgram(program, sourceLine)),
    );
  }

  private renderProgram(
    program: BytecodeProgram,
    sourceLine: (line: number) => string | undefined,
  ): HTMLElement {
    const width = String(Math.max(0, program.xlated.length - 1)).length;
    const groups = groupBySourceLine(program.xlated).map((group) => {
      const text = group.line === undefined ? undefined : sourceLine(group.line);
      const heading =
        group.line === undefined
          ? h('div', { class: 'insn-source muted' }, 'no source line')
          : h(
              'div',
              { class: 'insn-source' },
              h('span', { class: 'insn-line' }, `line ${group.line}`),
              text === undefined ? null : h('code', { class: 'insn-source-text' }, text.trim()),
            );
      const listing = group.instructions
        .map((i) => `${String(i.index).padStart(width, ' ')}: ${i.text}`)
        .join('\n');
      return h('div', { class: 'insn-group' }, heading, h('pre', { class: 'insns' }, listing));
    });
    const jited =
      program.jited.length > 0
        ? h('pre', { class: 'insns' }, program.jited.join('\n'))
        : h('p', { class: 'muted' }, program.jitedNote ?? 'No machine code reported.');
    return h(
      'article',
      { class: 'bytecode-program' },
      h(
        'h3',
        {},
        program.name,
        h(
          'span',
          { class: 'muted' },
          ` · program id ${program.id} · ${program.xlated.length} instructions`,
        ),
      ),
      h(
        'div',
        { class: 'bytecode-columns' },
        h(
          'div',
          { class: 'bytecode-column' },
          h('h4', {}, 'Verified instructions'),
          ...(groups.length > 0
            ? groups
            : [h('p', { class: 'muted' }, 'No instructions reported.')]),
        ),
        h('div', { class: 'bytecode-column' }, h('h4', {}, 'JIT-compiled machine code'), jited),
      ),
    );
  }
}

/**
 * The "Attach to" picker: where Run attaches the probe. The lesson's own choice comes first and
 * is the default, then the common presets, then "Automatic", which sends no attach points so
 * functions named the BCC way (kprobe__..., TRACEPOINT_PROBE) attach by themselves.
 */
import { ATTACH_PRESETS } from '../shared/constants.js';
import type { AttachChoice } from '../shared/protocol.js';
import { h } from './dom.js';

const AUTOMATIC_LABEL = 'Automatic (BCC names: kprobe__…, TRACEPOINT_PROBE, LSM_PROBE…)';

export function describeAttach(choices: readonly AttachChoice[]): string {
  return choices.map((c) => `${c.kind}: ${c.target}${c.fn ? ` → ${c.fn}()` : ''}`).join(', ');
}

export class AttachPicker {
  readonly element: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly choices = new Map<string, AttachChoice[]>();

  /** `changed` runs when the learner picks another choice. */
  constructor(lessonAttach: readonly AttachChoice[], changed: () => void) {
    const id = 'attach-picker';
    this.select = h('select', { id, class: 'attach-select' });
    if (lessonAttach.length > 0) {
      this.add('lesson', `Lesson default: ${describeAttach(lessonAttach)}`, [...lessonAttach]);
    }
    ATTACH_PRESETS.forEach((preset, index) => {
      this.add(`preset-${index}`, preset.label, [preset.attach]);
    });
    this.add('automatic', AUTOMATIC_LABEL, []);
    // A lesson without attach points attaches the BCC way: Automatic is its default.
    this.select.value = lessonAttach.length > 0 ? 'lesson' : 'automatic';
    // A narrow window can still cut the choice: its whole text is in the tooltip.
    const showChoice = () => {
      this.select.title = this.select.selectedOptions[0]?.textContent ?? '';
    };
    this.select.addEventListener('change', () => {
      showChoice();
      changed();
    });
    showChoice();
    this.element = h(
      'div',
      { class: 'attach-picker' },
      h('label', { for: id }, 'Attach to'),
      this.select,
    );
  }

  /** The attach points for the next Run (empty for Automatic). */
  get value(): AttachChoice[] {
    return (this.choices.get(this.select.value) ?? []).map((choice) => ({ ...choice }));
  }

  private add(value: string, label: string, attach: AttachChoice[]): void {
    this.choices.set(value, attach);
    this.select.append(h('option', { value }, label));
  }
}

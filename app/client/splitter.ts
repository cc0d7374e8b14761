/**
 * A draggable divider between two panes, operable with the keyboard too (role="separator" with
 * a value, as ARIA's window-splitter pattern asks). It only sets a CSS custom property, as a
 * percentage of the layout's size; the stylesheet decides what that property sizes. The
 * position is kept in localStorage.
 */
import { h } from './dom.js';
import { local } from './storage.js';

export interface SplitterOptions {
  /** The element whose size the percentage is of, and which gets the property. */
  layout: HTMLElement;
  /** e.g. `--lesson-width`. */
  property: string;
  /** `vertical`: a vertical bar that moves left and right. */
  orientation: 'vertical' | 'horizontal';
  label: string;
  storageKey: string;
  initial: number;
  min: number;
  max: number;
}

const KEY_STEP = 2;

export function createSplitter(options: SplitterOptions): HTMLElement {
  const { layout, property, orientation, min, max } = options;
  const splitter = h('div', {
    class: `splitter splitter-${orientation}`,
    role: 'separator',
    tabindex: 0,
    'aria-orientation': orientation,
    'aria-label': options.label,
    'aria-valuemin': min,
    'aria-valuemax': max,
  });

  const set = (percent: number, save: boolean) => {
    const value = Math.round(Math.min(max, Math.max(min, percent)) * 10) / 10;
    layout.style.setProperty(property, `${value}%`);
    splitter.setAttribute('aria-valuenow', String(Math.round(value)));
    if (save) local.set(options.storageKey, String(value));
  };
  const stored = Number(local.get(options.storageKey));
  set(Number.isFinite(stored) && stored > 0 ? stored : options.initial, false);

  const percentAt = (event: PointerEvent) => {
    const rect = layout.getBoundingClientRect();
    return orientation === 'vertical'
      ? ((event.clientX - rect.left) / rect.width) * 100
      : ((event.clientY - rect.top) / rect.height) * 100;
  };

  splitter.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    splitter.setPointerCapture(event.pointerId);
    layout.classList.add('resizing');
  });
  splitter.addEventListener('pointermove', (event) => {
    if (splitter.hasPointerCapture(event.pointerId)) set(percentAt(event), false);
  });
  const end = (event: PointerEvent) => {
    if (!splitter.hasPointerCapture(event.pointerId)) return;
    splitter.releasePointerCapture(event.pointerId);
    layout.classList.remove('resizing');
    set(percentAt(event), true);
  };
  splitter.addEventListener('pointerup', end);
  splitter.addEventListener('pointercancel', end);

  splitter.addEventListener('keydown', (event) => {
    const now = Number(splitter.getAttribute('aria-valuenow'));
    const back = orientation === 'vertical' ? 'ArrowLeft' : 'ArrowUp';
    const forward = orientation === 'vertical' ? 'ArrowRight' : 'ArrowDown';
    let next: number | null = null;
    if (event.key === back) next = now - KEY_STEP;
    else if (event.key === forward) next = now + KEY_STEP;
    else if (event.key === 'Home') next = min;
    else if (event.key === 'End') next = max;
    if (next === null) return;
    event.preventDefault();
    set(next, true);
  });
  return splitter;
}

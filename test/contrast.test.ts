/**
 * WCAG AA contrast (4.5:1) of the colours the lab defines: the terminals' palette on their
 * background, faint terminal text, and the stylesheet's text colours on its backgrounds.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIM_FOREGROUND, MINIMUM_CONTRAST, TERMINAL_THEME } from '../app/client/terminal-theme.js';

/** WCAG 2 relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const v = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

const css = readFileSync(new URL('../app/client/styles.css', import.meta.url), 'utf8');
const root = css.slice(css.indexOf(':root {'), css.indexOf('}', css.indexOf(':root {')));
const variable = (name: string): string => {
  const match = new RegExp(`--${name}:\\s*(#[0-9a-fA-F]{6});`).exec(root);
  if (!match?.[1]) throw new Error(`styles.css defines no colour --${name}`);
  return match[1];
};

describe('contrast helpers', () => {
  it('match the WCAG reference values', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
    expect(contrast('#ffffff', '#ffffff')).toBe(1);
  });
});

describe('terminal colours', () => {
  const background = TERMINAL_THEME.background;

  it.each(
    Object.entries(TERMINAL_THEME).filter(
      ([name]) =>
        !['background', 'cursor', 'cursorAccent', 'selectionBackground', 'black'].includes(name),
    ),
  )('%s (%s) reads at 4.5:1 on the background', (_name, colour) => {
    expect(contrast(colour, background)).toBeGreaterThanOrEqual(MINIMUM_CONTRAST);
  });

  it('draws faint text (notes, errors, hints) at 4.5:1 too, and the stylesheet agrees', () => {
    expect(contrast(DIM_FOREGROUND, background)).toBeGreaterThanOrEqual(MINIMUM_CONTRAST);
    expect(variable('terminal-dim').toLowerCase()).toBe(DIM_FOREGROUND);
    expect(css).toMatch(/\.xterm-dim\s*\{[^}]*color:\s*var\(--terminal-dim\)\s*!important/);
  });

  it("asks xterm to keep programs' own colours at 4.5:1", () => {
    expect(MINIMUM_CONTRAST).toBeGreaterThanOrEqual(4.5);
  });
});

describe('stylesheet colours', () => {
  const surfaces = ['bg', 'surface', 'panel', 'panel-raised', 'input'];
  const texts = ['text', 'text-strong', 'muted', 'accent', 'ok', 'warn', 'error', 'error-text'];
  const pairs = texts.flatMap((text) => surfaces.map((surface) => [text, surface] as const));

  it.each(pairs)('--%s on --%s reads at 4.5:1', (text, surface) => {
    expect(contrast(variable(text), variable(surface))).toBeGreaterThanOrEqual(4.5);
  });

  it.each(['text', 'text-strong'])('--%s on buttons (--control, --control-hover)', (text) => {
    expect(contrast(variable(text), variable('control'))).toBeGreaterThanOrEqual(4.5);
    expect(contrast(variable(text), variable('control-hover'))).toBeGreaterThanOrEqual(4.5);
  });

  it('white on the primary button (--accent-strong and its hover)', () => {
    expect(contrast('#ffffff', variable('accent-strong'))).toBeGreaterThanOrEqual(4.5);
    expect(contrast('#ffffff', variable('accent-strong-hover'))).toBeGreaterThanOrEqual(4.5);
  });
});

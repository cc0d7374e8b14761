import { describe, expect, it } from 'vitest';
import {
  checkBroadcastText,
  checkClassName,
  checkDisplayName,
  MAX_DISPLAY_NAME_CHARS,
} from './typed-name.js';

describe('typed names', () => {
  it('are trimmed, their whitespace runs made one space, NFC', () => {
    expect(checkDisplayName('  Ada \t\n Lovelace ')).toEqual({ ok: true, name: 'Ada Lovelace' });
    expect(checkDisplayName('Jose\u0301')).toEqual({ ok: true, name: 'José' });
  });

  it('keep what looks like HTML or a formula as the text it is', () => {
    for (const name of ['<img src=x onerror=alert(1)>', '=HYPERLINK("x")', 'O\'Brien, "Bob"']) {
      expect(checkDisplayName(name)).toEqual({ ok: true, name });
    }
  });

  it('refuse empty, too long, control and bidi-override characters, saying why', () => {
    expect(checkDisplayName('   ')).toEqual({ ok: false, error: 'Type the name others will see.' });
    expect(checkDisplayName(42)).toMatchObject({ ok: false });
    expect(checkDisplayName('x'.repeat(MAX_DISPLAY_NAME_CHARS)).ok).toBe(true);
    expect(checkDisplayName('x'.repeat(MAX_DISPLAY_NAME_CHARS + 1))).toEqual({
      ok: false,
      error: `Type at most ${MAX_DISPLAY_NAME_CHARS} characters.`,
    });
    // Characters, not UTF-16 units: 60 emoji fit.
    expect(checkDisplayName('🙂'.repeat(MAX_DISPLAY_NAME_CHARS)).ok).toBe(true);
    expect(checkDisplayName('bell\u0007').ok).toBe(false);
    expect(checkDisplayName('evil\u202Eexe.txt').ok).toBe(false);
  });

  it('bound class names and broadcasts by their own lengths', () => {
    expect(checkClassName('Monday group')).toEqual({ ok: true, name: 'Monday group' });
    expect(checkClassName('')).toEqual({ ok: false, error: "Type the class's name." });
    expect(checkBroadcastText('y'.repeat(500)).ok).toBe(true);
    expect(checkBroadcastText('y'.repeat(501)).ok).toBe(false);
  });
});

/**
 * Text people type for others to read: a learner's display name at join, a class's name, the
 * instructor's broadcast. Plain text, stored and
 * sent as text, never read as HTML anywhere (the dashboard sets it as text; the CSV writer
 * defuses formulas). Only what would make a name lie about itself is refused: control
 * characters, and the bidirectional overrides that can make "evil.exe" read as "exe.live" on
 * the instructor's screen.
 */

/** Long enough for a full name, short enough for a dashboard row. */
export const MAX_DISPLAY_NAME_CHARS = 60;
export const MAX_CLASS_NAME_CHARS = 80;
export const MAX_BROADCAST_CHARS = 500;

const CONTROL = /\p{Cc}/u;
/** Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069). */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;

export type NameVerdict = { ok: true; name: string } | { ok: false; error: string };

export function checkDisplayName(typed: unknown): NameVerdict {
  return checkName(typed, MAX_DISPLAY_NAME_CHARS, 'the name others will see');
}

export function checkClassName(typed: unknown): NameVerdict {
  return checkName(typed, MAX_CLASS_NAME_CHARS, "the class's name");
}

/** The instructor's broadcast: a line of text for a banner. */
export function checkBroadcastText(typed: unknown): NameVerdict {
  return checkName(typed, MAX_BROADCAST_CHARS, 'a message');
}

function checkName(typed: unknown, max: number, what: string): NameVerdict {
  const empty = { ok: false, error: `Type ${what}.` } as const;
  if (typeof typed !== 'string') return empty;
  // Whitespace runs (tabs and newlines too) become one space.
  const name = typed.normalize('NFC').replace(/\s+/gu, ' ').trim();
  if (name.length === 0) return empty;
  if ([...name].length > max) return { ok: false, error: `Type at most ${max} characters.` };
  if (CONTROL.test(name) || BIDI_CONTROL.test(name)) {
    return { ok: false, error: 'The text holds invisible control characters: type it again.' };
  }
  return { ok: true, name };
}

/**
 * Browser storage that never throws: storage can be disabled, full, or refused in a private
 * window, and losing a saved draft must never break the page.
 */

function safe<T>(action: () => T, fallback: T): T {
  try {
    return action();
  } catch {
    return fallback;
  }
}

function wrap(pick: () => Storage) {
  return {
    get: (key: string): string | null => safe(() => pick().getItem(key), null),
    set: (key: string, value: string): void => safe(() => pick().setItem(key, value), undefined),
    remove: (key: string): void => safe(() => pick().removeItem(key), undefined),
  };
}

/** Kept across reloads and tabs: drafts and layout. */
export const local = wrap(() => window.localStorage);
/** Kept for this tab only: the lab session to reattach to. */
export const session = wrap(() => window.sessionStorage);

/** Where the learner's edits of one lesson file are kept. */
export function lessonFileKey(lessonId: string, fileName: string): string {
  return `ebpf-lab:lesson:${lessonId}:${fileName}`;
}

/**
 * The learner's editor files in the sandbox: they are saved to /root there (`save-files`), so
 * `python3 hello_world.py` in the Sandbox shell runs what the editor shows. Saves follow edits
 * once typing pauses, go out once the (re)connected sandbox is ready, and on demand before a
 * Run or a Check. Also checks the files against the protocol's limits before they are sent.
 */
import type { Phase } from '../shared/protocol.js';

/** How long typing must pause before the files are saved. */
const SAVE_DELAY_MS = 600;

// The limits of protocol.ts (its LessonFiles schema and MAX_CLIENT_MESSAGE_BYTES), repeated here
// because protocol.ts carries zod, which the client bundle leaves out. The server rejects a
// whole message that breaks one, so the page says what is wrong instead of sending it.
const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const MAX_FILE_CHARS = 128 * 1024;
const MAX_FILES = 16;
/** Under the server's 256 KiB per frame, with room for the rest of the message. */
const MAX_TOTAL_BYTES = 250 * 1024;

export type FileMap = Record<string, string>;

/** Why `files` cannot be sent as they are, or null when they can. */
export function filesProblem(files: FileMap): string | null {
  const names = Object.keys(files);
  if (names.length > MAX_FILES) return `a lesson can send at most ${MAX_FILES} files`;
  for (const name of names) {
    if (!FILE_NAME.test(name)) return `"${name}" is not a file name the sandbox accepts`;
    if ((files[name] ?? '').length > MAX_FILE_CHARS) {
      return `${name} is larger than ${MAX_FILE_CHARS / 1024} KiB`;
    }
  }
  const bytes = new TextEncoder().encode(JSON.stringify(files)).length;
  if (bytes > MAX_TOTAL_BYTES) return `the files add up to more than ${MAX_TOTAL_BYTES / 1024} KiB`;
  return null;
}

export interface FileSaverHooks {
  /** The files as the editor has them now. */
  read(): FileMap;
  /** Sends `save-files`; false when not connected. */
  send(files: FileMap): boolean;
  /** The files cannot be saved as they are (`problem` from `filesProblem`). */
  refused(problem: string): void;
}

export class SandboxFileSaver {
  private timer: number | undefined;
  /** The sandbox is up: a save now reaches /root (not while it boots, nor when disconnected). */
  private up = false;
  /** A save that could not go out yet: sent as soon as the sandbox is up. */
  private pending = false;
  /** The first `ready` after a (re)connect or a (re)boot saves, whatever came before it. */
  private saveOnReady = false;
  /** The last problem reported, so a file that stays too large is not reported at every pause. */
  private lastProblem: string | null = null;

  constructor(private readonly hooks: FileSaverHooks) {}

  /** The learner edited a file: save once typing pauses. */
  edited(): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      if (this.up) this.send(false);
      else this.pending = true;
    }, SAVE_DELAY_MS);
  }

  /**
   * Saves now, whatever the sandbox's phase (before a Run or a Check, which need the files in
   * place); false when the files could not be sent.
   */
  saveNow(): boolean {
    window.clearTimeout(this.timer);
    this.timer = undefined;
    return this.send(true);
  }

  /**
   * Saves now if an edit is still waiting for typing to pause: the shell is about to run
   * something (Run in shell, Enter), and it must see the editor's text.
   */
  flush(): void {
    if (this.timer !== undefined && this.up) this.saveNow();
  }

  /** A new connection: whatever sandbox it reaches gets the files once it is ready. */
  connected(): void {
    this.up = false;
    this.pending = true;
    this.saveOnReady = true;
  }

  disconnected(): void {
    this.up = false;
  }

  /** The server's latest `status` phase. */
  phase(phase: Phase): void {
    if (phase === 'starting') {
      // A booting sandbox has an empty /root: save again once it is ready.
      this.up = false;
      this.saveOnReady = true;
      return;
    }
    // An error may be the sandbox's own: it says nothing about whether a save would land.
    if (phase === 'error') return;
    this.up = true;
    const due = this.pending || (this.saveOnReady && phase === 'ready');
    if (phase === 'ready') this.saveOnReady = false;
    if (due) this.send(false);
  }

  private send(asked: boolean): boolean {
    const files = this.hooks.read();
    const problem = filesProblem(files);
    if (problem) {
      this.pending = false;
      // Asked for (Run, Check): always say why; while typing, once per problem.
      if (asked || problem !== this.lastProblem) this.hooks.refused(problem);
      this.lastProblem = problem;
      return false;
    }
    this.lastProblem = null;
    const sent = this.hooks.send(files);
    this.pending = !sent;
    return sent;
  }
}

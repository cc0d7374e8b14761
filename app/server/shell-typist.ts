/**
 * "Run in shell": types a lesson's commands into the learner's shell one at a time, each once
 * the shell is back at its prompt, never into a program that has the terminal and never after a
 * half-typed line. Bash's line editor turns bracketed paste on (ESC[?2004h) while it waits for a
 * line and off (ESC[?2004l) when it runs one, so the shell's own output says whether the
 * prompt is there.
 */
const PROMPT_ON = '\x1b[?2004h';
const PROMPT_OFF = '\x1b[?2004l';
/** Ctrl+E, Ctrl+U: the line goes to bash's kill ring (Ctrl+Y brings it back). */
const CLEAR_LINE = '\x05\x15';
/** After `script &`, the next command waits for the script's first output, at most this long. */
const BACKGROUND_WAIT_MS = 30_000;

export interface ShellTypistTarget {
  /** Types into the shell. */
  type(data: string): void;
  /** A note for the learner in the shell pane. */
  note(text: string): void;
}

export class ShellTypist {
  private atPrompt = false;
  /** The shell has shown its prompt since it started: until then it is starting, not busy. */
  private promptSeen = false;
  private queue: string[] = [];
  /** A background command was typed: wait for its first output before the next command. */
  private background: NodeJS.Timeout | undefined;
  private backgroundPrompted = false;

  constructor(private readonly target: ShellTypistTarget) {}

  /** Output of the shell, in order. */
  observe(output: string): void {
    const on = output.lastIndexOf(PROMPT_ON);
    const off = output.lastIndexOf(PROMPT_OFF);
    if (on > off) {
      this.atPrompt = true;
      this.promptSeen = true;
    } else if (off > on) this.atPrompt = false;
    if (this.background) {
      // The prompt comes back at once after `&`; a line after it is the script speaking. A
      // line, not any text: the prompt's own text can arrive apart from its escape sequence.
      const after = on >= 0 ? output.slice(on + PROMPT_ON.length) : output;
      if (this.backgroundPrompted && after.includes('\n')) this.endBackgroundWait();
      else if (on >= 0) this.backgroundPrompted = true;
    }
    this.next();
  }

  /** The learner typed: what Run in shell had left to type is theirs to decide now. */
  learnerTyped(): void {
    if (this.queue.length === 0) return;
    this.queue = [];
    this.endBackgroundWait();
    this.target.note('[Run in shell: stopped, you typed in the shell]');
  }

  /** A new shell: nothing typed into the old one carries over. */
  reset(): void {
    this.atPrompt = false;
    this.promptSeen = false;
    this.queue = [];
    this.endBackgroundWait();
  }

  /**
   * Types `commands` one by one; refused while a program has the shell's terminal. A shell
   * still starting gets them at its first prompt.
   */
  run(commands: readonly string[]): void {
    if (!this.atPrompt && this.promptSeen) {
      this.target.note(
        '[Run in shell: a program is running in the shell. Stop it (Ctrl+C) or wait for the prompt, then press Run in shell again]',
      );
      return;
    }
    this.endBackgroundWait();
    // Whatever the learner had half typed is cleared first, never appended to.
    this.queue = commands.length > 0 ? [`${CLEAR_LINE}${commands[0]}`, ...commands.slice(1)] : [];
    this.next();
  }

  private next(): void {
    if (!this.atPrompt || this.background) return;
    const command = this.queue.shift();
    if (command === undefined) return;
    this.atPrompt = false;
    this.target.type(`${command}\r`);
    if (/&\s*$/.test(command) && !/&&\s*$/.test(command) && this.queue.length > 0) {
      this.backgroundPrompted = false;
      this.background = setTimeout(() => {
        this.endBackgroundWait();
        this.next();
      }, BACKGROUND_WAIT_MS);
    }
  }

  private endBackgroundWait(): void {
    clearTimeout(this.background);
    this.background = undefined;
  }
}

/**
 * What Trace output has shown, line by line, so the pane can show it again with or without the
 * lab's own lines (its agent or BCC worker firing the learner's probe: the server tags them with
 * LAB_LINE_TAG). Bounded: only the latest lines are kept.
 */
import { LAB_LINE_TAG } from '../../runner/protocol/lab-tasks.js';

// SGR sequences (dim, reset) the server and the pane put around a line.
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are the point.
const LEADING_SGR = /^(?:\x1b\[[0-9;]*m)*/;

export function isLabLine(line: string): boolean {
  return line.replace(LEADING_SGR, '').startsWith(LAB_LINE_TAG);
}

export class TraceHistory {
  private lines: string[] = [];
  /** Text after the last line end: the start of a line still being written. */
  private partial = '';

  constructor(private readonly maxLines = 5000) {}

  /** Records `data` and returns what to write of it, leaving lab lines out when `hideLab`. */
  add(data: string, hideLab: boolean): string {
    const shownBefore = this.partial.length;
    const pieces = (this.partial + data).split(/(?<=\n)/);
    const rest = pieces.at(-1)?.endsWith('\n') ? '' : (pieces.pop() ?? '');
    let out = '';
    pieces.forEach((line, i) => {
      this.lines.push(line);
      // The start of a line that came in an earlier chunk was written then, lab or not.
      if (i === 0 && shownBefore > 0) out += line.slice(shownBefore);
      else if (!(hideLab && isLabLine(line))) out += line;
    });
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
    out += pieces.length === 0 ? rest.slice(shownBefore) : rest;
    this.partial = rest;
    return out;
  }

  /** Everything kept, for redrawing the pane after the choice changed. */
  replay(hideLab: boolean): string {
    const lines = hideLab ? this.lines.filter((line) => !isLabLine(line)) : this.lines;
    return lines.join('') + this.partial;
  }

  /** How many lab lines are kept (the toggle says how many it hides). */
  get labLines(): number {
    return this.lines.filter(isLabLine).length;
  }

  clear(): void {
    this.lines = [];
    this.partial = '';
  }
}

import { describe, expect, it } from 'vitest';
import { isLabLine, TraceHistory } from './trace-history.js';

const DIM = (text: string) => `\x1b[2m${text}\x1b[0m`;
const mine = 'cat-130 [001] 12.000001: output: pid=130 command="cat"\r\n';
const lab = `${DIM('[lab] ebpf-lab-agent-99 [000] 12.000002: hello')}\r\n`;

describe('Trace output with and without the lab lines', () => {
  it('tells the lab lines by their tag, dimmed or not, and nothing else', () => {
    expect(isLabLine(lab)).toBe(true);
    expect(isLabLine('[lab] x\r\n')).toBe(true);
    expect(isLabLine(mine)).toBe(false);
    // A learner's message that says [lab] is not at the start of the line.
    expect(isLabLine('bash-1 [000] 1.0: [lab] hi\r\n')).toBe(false);
  });

  it('writes everything while shown, leaves lab lines out while hidden, and replays both ways', () => {
    const history = new TraceHistory();
    expect(history.add(mine + lab, false)).toBe(mine + lab);
    expect(history.add(lab + mine, true)).toBe(mine);
    expect(history.replay(true)).toBe(mine + mine);
    expect(history.replay(false)).toBe(mine + lab + lab + mine);
    expect(history.labLines).toBe(2);
  });

  it('writes a line split across chunks once, in order', () => {
    const history = new TraceHistory();
    const shown = [mine.slice(0, 10), mine.slice(10) + lab.slice(0, 5), lab.slice(5)].map((c) =>
      history.add(c, false),
    );
    expect(shown.join('')).toBe(mine + lab);
    expect(history.replay(true)).toBe(mine);
  });

  it('keeps only the latest lines', () => {
    const history = new TraceHistory(3);
    for (let i = 0; i < 5; i++) history.add(`line ${i}\r\n`, false);
    expect(history.replay(false)).toBe('line 2\r\nline 3\r\nline 4\r\n');
    history.clear();
    expect(history.replay(false)).toBe('');
  });
});

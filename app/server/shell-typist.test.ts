import { describe, expect, it } from 'vitest';
import { ShellTypist } from './shell-typist.js';

const PROMPT = '\x1b[?2004hroot@sandbox:~# ';
const RUNNING = '\r\n\x1b[?2004l\r';

function typist() {
  const typed: string[] = [];
  const notes: string[] = [];
  const t = new ShellTypist({ type: (d) => typed.push(d), note: (n) => notes.push(n) });
  return { t, typed, notes };
}

describe('ShellTypist', () => {
  it('types one command per prompt, clearing a half-typed line first', () => {
    const { t, typed } = typist();
    t.observe(PROMPT);
    t.observe('echo hal'); // the learner's half-typed line, echoed
    t.run(['date', 'ls']);
    expect(typed).toEqual(['\x05\x15date\r']);
    t.observe(`${RUNNING}Mon Nov 30\r\n`);
    expect(typed).toHaveLength(1);
    t.observe(PROMPT);
    expect(typed).toEqual(['\x05\x15date\r', 'ls\r']);
  });

  it('refuses while a program has the terminal, and stops when the learner types', () => {
    const { t, typed, notes } = typist();
    t.observe(PROMPT);
    t.observe(RUNNING); // `python3 script.py` in the foreground
    t.run(['ls']);
    expect(typed).toEqual([]);
    expect(notes[0]).toContain('a program is running in the shell');
    t.observe(PROMPT);
    t.run(['sleep 5', 'ls']);
    t.observe(RUNNING);
    t.learnerTyped();
    t.observe(PROMPT);
    expect(typed).toEqual(['\x05\x15sleep 5\r']);
    expect(notes[1]).toContain('you typed');
  });

  it('after `script &`, waits for the script to speak before the next command', () => {
    const { t, typed } = typist();
    t.observe(PROMPT);
    t.run(['python3 hello.py &', 'date']);
    t.observe(`${RUNNING}[1] 231\r\n${PROMPT}`);
    expect(typed).toHaveLength(1);
    t.observe('Ready: tracing, press Ctrl+C to stop\r\n');
    expect(typed).toEqual(['\x05\x15python3 hello.py &\r', 'date\r']);
  });

  it('a shell still starting gets the commands at its first prompt, after what was typed ahead', () => {
    const { t, typed, notes } = typist();
    t.observe('echo half'); // typed before bash printed its first prompt, echoed by the TTY
    t.run(['echo one']);
    expect(typed).toEqual([]);
    expect(notes).toEqual([]);
    t.observe(`${PROMPT}echo half`);
    expect(typed).toEqual(['\x05\x15echo one\r']);
  });

  it('after `script &`, the prompt arriving in pieces is not the script speaking', () => {
    const { t, typed } = typist();
    t.observe(PROMPT);
    t.run(['(sleep 4; echo ready) &', 'date']);
    t.observe(`${RUNNING}[1] 231\r\n\x1b[?2004h`);
    t.observe('root@sandbox:~# ');
    expect(typed).toHaveLength(1);
    t.observe('ready\r\n');
    expect(typed).toEqual(['\x05\x15(sleep 4; echo ready) &\r', 'date\r']);
  });
});

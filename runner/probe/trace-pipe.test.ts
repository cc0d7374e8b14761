import { describe, expect, it } from 'vitest';
import { describeTracePipeHolders } from './trace-pipe.js';

describe('describeTracePipeHolders', () => {
  it('names the reader and how to stop it', () => {
    const text = describeTracePipeHolders([{ pid: 213, command: 'python3 hello_world.py' }]);
    expect(text).toMatch(/^python3 hello_world\.py \(pid 213\) is reading/);
    expect(text).toContain('kill 213, or fg then Ctrl+C');
    expect(text).toContain('not to Trace output');
  });

  it('names every reader, and copes with an empty command line', () => {
    const text = describeTracePipeHolders([
      { pid: 7, command: 'cat /sys/kernel/debug/tracing/trace_pipe' },
      { pid: 9, command: '' },
    ]);
    expect(text).toContain(
      'cat /sys/kernel/debug/tracing/trace_pipe (pid 7) and a process (pid 9)',
    );
    expect(text).toContain('kill 7 9');
  });

  it('still says what happens when the reader could not be named', () => {
    expect(describeTracePipeHolders([])).toMatch(/^another process is reading .*\(stop it\)/);
  });
});

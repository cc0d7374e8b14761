/** "Nothing fired" says what is known and never suggests the trigger that just ran (issue 10, G). */
import { describe, expect, it } from 'vitest';
import { canLookUp, nothingFiredMessage, relatedFunctions } from './nothing-fired.js';

const AVAILABLE = `do_sys_open
do_sys_openat2
do_sys_open_tree [some_module]
__x64_sys_open
__x64_sys_openat
__x64_sys_openat2
`;

describe('nothingFiredMessage', () => {
  it('names the trigger that ran and the function the kernel uses instead', () => {
    const text = nothingFiredMessage({
      trigger: 'ls /',
      durationMs: 1000,
      probes: [{ kind: 'kprobe', event: 'do_sys_open', fn: 'probe' }],
      related: new Map([['do_sys_open', relatedFunctions(AVAILABLE, 'do_sys_open')]]),
    });
    expect(text).toContain('nothing fired the probe while "ls /" ran, nor in the 1 s after it');
    expect(text).toContain('do_sys_open exists but was not called');
    expect(text).toContain('do_sys_openat2');
    expect(text).toContain('--attach kprobe:do_sys_openat2');
    expect(text).not.toContain('--trigger "ls /"');
  });

  it('without related functions, asks for another command rather than the same one', () => {
    const text = nothingFiredMessage({
      trigger: 'date',
      durationMs: 1000,
      probes: [{ kind: 'tracepoint', event: 'sched:sched_process_exec', fn: 'p' }],
      related: new Map(),
    });
    expect(text).toContain('"date" ran');
    expect(text).toContain('sched:sched_process_exec');
    expect(text).not.toContain('--trigger');
  });

  it('without a trigger, suggests giving one', () => {
    const text = nothingFiredMessage({
      trigger: undefined,
      durationMs: 10_000,
      probes: [],
      related: new Map(),
    });
    expect(text).toContain('in the 10 s after attaching');
    expect(text).toContain('--trigger');
  });
});

describe('relatedFunctions', () => {
  it('lists longer names of the same function, shortest first, module suffixes dropped', () => {
    expect(relatedFunctions(AVAILABLE, 'do_sys_open')).toEqual([
      'do_sys_openat2',
      'do_sys_open_tree',
    ]);
    expect(relatedFunctions(AVAILABLE, '__x64_sys_open')).toEqual([
      '__x64_sys_openat',
      '__x64_sys_openat2',
    ]);
    expect(relatedFunctions(AVAILABLE, 'tcp_connect')).toEqual([]);
  });

  it('only looks up plain symbol names', () => {
    expect(canLookUp('do_sys_open')).toBe(true);
    expect(canLookUp("x'; rm -rf /")).toBe(false);
  });
});

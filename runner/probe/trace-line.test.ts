import { describe, expect, it } from 'vitest';
import { formatTraceLine, parseTraceLine, type TraceLine } from './trace-line.js';

function parsed(raw: string): TraceLine {
  const line = parseTraceLine(raw);
  if (line === undefined) throw new Error(`expected a trace record: ${JSON.stringify(raw)}`);
  return line;
}

describe('parseTraceLine', () => {
  it('parses a bpf_trace_printk line from the hello-world probe', () => {
    const raw =
      '            bash-3086    [001] d...1  1234.567890: bpf_trace_printk: Hello World!! ';
    expect(parseTraceLine(`${raw}\n`)).toEqual({
      task: 'bash',
      pid: 3086,
      cpu: 1,
      flags: 'd...1',
      timestamp: 1234.56789,
      message: 'Hello World!!',
      raw,
    });
  });

  it('parses a task the kernel no longer has a name for', () => {
    expect(
      parsed('           <...>-1234    [000] d..31   617.123456: bpf_trace_printk: hi'),
    ).toMatchObject({ task: '<...>', pid: 1234, cpu: 0, flags: 'd..31', timestamp: 617.123456 });
    expect(
      parsed('          <idle>-0       [003] d.s.1    42.000001: bpf_trace_printk: x'),
    ).toMatchObject({ task: '<idle>', pid: 0, cpu: 3, flags: 'd.s.1' });
  });

  it('takes the pid from the last dash before the cpu field', () => {
    expect(
      parsed('  kworker/0:1-events-55  [000] ....1    12.000100: bpf_trace_printk: x'),
    ).toMatchObject({ task: 'kworker/0:1-events', pid: 55, cpu: 0, message: 'x' });
    expect(
      parsed('  kworker/u8:2-12  [002] ....1    12.000100: bpf_trace_printk: x'),
    ).toMatchObject({
      task: 'kworker/u8:2',
      pid: 12,
    });
  });

  it('keeps spaces inside task names', () => {
    expect(
      parsed('    Web Content-4242    [002] d...1   99.500000: bpf_trace_printk: x'),
    ).toMatchObject({ task: 'Web Content', pid: 4242, cpu: 2 });
    expect(parsed('  gdbus-1-1-7 [000] d...1 1.000000: bpf_trace_printk: x')).toMatchObject({
      task: 'gdbus-1-1',
      pid: 7,
    });
  });

  it('skips the tgid column of the record-tgid option', () => {
    expect(
      parsed('            bash-3086    (   3086) [001] d...1  1234.567890: bpf_trace_printk: msg'),
    ).toMatchObject({ task: 'bash', pid: 3086, cpu: 1, flags: 'd...1', message: 'msg' });
    expect(
      parsed('     kworker/1:0-21      (-------) [001] ....1    10.000000: bpf_trace_printk: m'),
    ).toMatchObject({ task: 'kworker/1:0', pid: 21, message: 'm' });
  });

  it('parses lines without a flags column', () => {
    expect(parsed('   bash-12 [000]   5.000001: bpf_trace_printk: m')).toEqual({
      task: 'bash',
      pid: 12,
      cpu: 0,
      flags: '',
      timestamp: 5.000001,
      message: 'm',
      raw: '   bash-12 [000]   5.000001: bpf_trace_printk: m',
    });
  });

  it('parses older four-character flags and integer trace clocks', () => {
    expect(parsed('  sshd-900 [001] d... 77.250000: bpf_trace_printk: a')).toMatchObject({
      flags: 'd...',
      timestamp: 77.25,
    });
    expect(parsed('  sshd-900 [001] d...1 123456789: bpf_trace_printk: a')).toMatchObject({
      flags: 'd...1',
      timestamp: 123456789,
    });
  });

  it('parses cpus beyond three digits', () => {
    expect(parsed('  a-1 [1023] d...1 1.000000: bpf_trace_printk: a').cpu).toBe(1023);
  });

  it('keeps inner and leading message spaces but strips trailing whitespace', () => {
    const line = parsed('  bash-1 [000] d...1 1.000000: bpf_trace_printk:   a  b \t \r\n');
    expect(line.message).toBe('  a  b');
    expect(line.raw).toBe('  bash-1 [000] d...1 1.000000: bpf_trace_printk:   a  b \t ');
  });

  it('keeps colons and header-like text inside the message', () => {
    const line = parsed(
      '  bash-1 [000] d...1 1.000000: bpf_trace_printk: pid: 2 fake-9 [001] d...1 2.000000: x',
    );
    expect(line).toMatchObject({ task: 'bash', pid: 1, cpu: 0, timestamp: 1 });
    expect(line.message).toBe('pid: 2 fake-9 [001] d...1 2.000000: x');
  });

  it('parses an empty message', () => {
    expect(parsed('  bash-1 [000] d...1 1.000000: bpf_trace_printk: \n').message).toBe('');
    expect(parsed('  bash-1 [000] d...1 1.000000: bpf_trace_printk:').message).toBe('');
  });

  it('takes the text after the event name for other events', () => {
    expect(
      parsed(
        '             cat-1820    [000] ...1.   300.100000: sys_enter_openat: dfd: 0xffffff9c, filename: 0x7ffd, flags: 0x0',
      ).message,
    ).toBe('dfd: 0xffffff9c, filename: 0x7ffd, flags: 0x0');
    expect(parsed('  bash-1 [000] d...1 1.000000: 0x1: hello from trace_printk').message).toBe(
      'hello from trace_printk',
    );
  });

  it('keeps the whole text of events that print no name', () => {
    expect(parsed('  bash-1 [000] ....1 1.000000: do_sys_open <-do_sys_openat2').message).toBe(
      'do_sys_open <-do_sys_openat2',
    );
  });

  it.each([
    '',
    '\n',
    '   ',
    'CPU:1 [LOST 12 EVENTS]',
    '# tracer: nop',
    '#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION',
    '#              | |         |   |||||     |         |',
    'Hello World!! ',
    'bash-3086 [001] d...1 not-a-time: bpf_trace_printk: x',
    'bash-3086 001 d...1 1.000000: bpf_trace_printk: x',
    'bash-x [001] d...1 1.000000: bpf_trace_printk: x',
    '-3086 [001] d...1 1.000000: bpf_trace_printk: x',
    '    -3086 [001] d...1 1.000000: bpf_trace_printk: x',
  ])('returns undefined for %j', (raw) => {
    expect(parseTraceLine(raw)).toBeUndefined();
  });

  it('stays fast on long junk lines', () => {
    const junk = [' '.repeat(8192), '-1 '.repeat(3000), `${'-'.repeat(4000)}${'9'.repeat(4000)}`];
    const start = performance.now();
    for (const line of junk) expect(parseTraceLine(line)).toBeUndefined();
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe('formatTraceLine', () => {
  it('prints task-pid, cpu, timestamp with six decimals and the message', () => {
    const raw =
      '            bash-3086    [001] d...1  1234.567890: bpf_trace_printk: Hello World!! ';
    expect(formatTraceLine(parsed(raw))).toBe('bash-3086 [001] 1234.567890: Hello World!!');
  });

  it('pads small timestamps and cpus', () => {
    expect(
      formatTraceLine({
        task: '<...>',
        pid: 7,
        cpu: 12,
        flags: '',
        timestamp: 5,
        message: 'm',
        raw: '',
      }),
    ).toBe('<...>-7 [012] 5.000000: m');
  });

  it('round-trips through parseTraceLine', () => {
    const first = parsed(
      '  kworker/0:1-events-55  [000] ....1    12.000100: bpf_trace_printk: x y',
    );
    const again = parsed(formatTraceLine(first));
    expect(again).toMatchObject({
      task: first.task,
      pid: first.pid,
      cpu: first.cpu,
      timestamp: first.timestamp,
      message: 'x y',
    });
  });
});

/** Arguments that would read as garbage (issue 10, B): warnings with cause and fix, at the line. */
import { describe, expect, it } from 'vitest';
import { checkArguments, findDefinition, syscallOf } from './argument-checks.js';

const KILL = `#include <uapi/linux/ptrace.h>
int on_kill(struct pt_regs *ctx, int pid, int sig) {
    bpf_trace_printk("kill pid=%d sig=%d\\n", pid, sig);
    return 0;
}
`;

const PARM2 = `#include <uapi/linux/ptrace.h>
int on_openat(struct pt_regs *ctx) {
    char path[64] = {};
    bpf_probe_read_user_str(path, sizeof(path), (void *)PT_REGS_PARM2(ctx));
    bpf_trace_printk("openat %s\\n", path);
    return 0;
}
`;

describe('checkArguments', () => {
  it('warns about named arguments on a syscall wrapper and names both fixes', () => {
    const [w, ...rest] = checkArguments(KILL, [
      { kind: 'kprobe', event: '__x64_sys_kill', fn: 'on_kill' },
    ]);
    expect(rest).toEqual([]);
    expect(w).toMatchObject({ line: 2, severity: 'warning' });
    expect(w?.message).toContain("`pid`, `sig` will not hold kill's arguments");
    expect(w?.hint).toContain('--attach kprobe:kill=syscall__on_kill');
    expect(w?.hint).toContain('tracepoint:syscalls:sys_enter_kill');
  });

  it('says nothing when BCC reads them: a syscall__ function, or a plain kernel function', () => {
    const renamed = KILL.replace('on_kill', 'syscall__on_kill');
    expect(
      checkArguments(renamed, [
        { kind: 'kprobe', event: '__x64_sys_kill', fn: 'syscall__on_kill' },
      ]),
    ).toEqual([]);
    expect(
      checkArguments(KILL, [{ kind: 'kprobe', event: 'do_send_sig_info', fn: 'on_kill' }]),
    ).toEqual([]);
  });

  it('warns about PT_REGS_PARM2(ctx) on a syscall wrapper, at its line and column', () => {
    const [w] = checkArguments(PARM2, [
      { kind: 'kprobe', event: '__x64_sys_openat', fn: 'on_openat' },
    ]);
    expect(w).toMatchObject({ line: 4, column: 57 });
    expect(w?.message).toContain("PT_REGS_PARM2(ctx) reads __x64_sys_openat's own registers");
    expect(w?.hint).toContain('PT_REGS_PARM2_SYSCALL(regs)');
  });

  it('warns about arguments and PT_REGS_PARMn in a kretprobe', () => {
    const kret = KILL.replace('return 0;', 'return PT_REGS_PARM1(ctx) ? 0 : 1;');
    const warnings = checkArguments(kret, [
      { kind: 'kretprobe', event: 'do_sys_openat2', fn: 'on_kill' },
    ]);
    expect(warnings.map((w) => w.line)).toEqual([2, 4]);
    expect(warnings[0]?.message).toContain('in a kretprobe the function has already returned');
    expect(warnings[0]?.hint).toContain('bpf_get_current_pid_tgid()');
    expect(warnings[1]?.message).toContain('PT_REGS_PARM1(ctx) in a kretprobe');
  });

  it('warns about a syscall__ function on a function that is not a syscall wrapper', () => {
    const source = KILL.replace('on_kill', 'syscall__open');
    const [w] = checkArguments(source, [
      { kind: 'kprobe', event: 'do_sys_openat2', fn: 'syscall__open' },
    ]);
    expect(w?.message).toContain('do_sys_openat2 is not a syscall wrapper');
  });

  it('ignores tracepoints and functions it cannot find', () => {
    expect(
      checkArguments(KILL, [
        { kind: 'tracepoint', event: 'syscalls:sys_enter_kill', fn: 'on_kill' },
      ]),
    ).toEqual([]);
    expect(
      checkArguments(KILL, [{ kind: 'kprobe', event: '__x64_sys_kill', fn: 'other' }]),
    ).toEqual([]);
  });
});

describe('helpers', () => {
  it('reads a definition with array and pointer parameters', () => {
    const fn = findDefinition(
      'int f(struct pt_regs *ctx, const char __user *name, int v[4]) {\n  return 0;\n}\n',
      'f',
    );
    expect(fn).toMatchObject({ ctx: 'ctx', args: ['name', 'v'], line: 1 });
  });

  it('knows syscall wrappers', () => {
    expect(syscallOf('__x64_sys_openat')).toBe('openat');
    expect(syscallOf('__arm64_sys_kill')).toBe('kill');
    expect(syscallOf('do_sys_openat2')).toBeUndefined();
  });
});

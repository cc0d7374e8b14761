/**
 * Protocol constants the browser needs at run time, kept free of zod so the client bundle
 * does not carry the schemas (the client imports everything else from protocol.ts as types).
 */
import type { AttachChoice } from './protocol.js';

export const WEB_PROTOCOL_VERSION = 1;

/** The attach picker's choices; `label` is what the learner reads. */
export const ATTACH_PRESETS: readonly { label: string; attach: AttachChoice }[] = [
  { label: 'kprobe: clone (fork)', attach: { kind: 'kprobe', target: 'clone' } },
  { label: 'kprobe: execve', attach: { kind: 'kprobe', target: 'execve' } },
  { label: 'kprobe: openat', attach: { kind: 'kprobe', target: 'openat' } },
  { label: 'kprobe: read', attach: { kind: 'kprobe', target: 'read' } },
  { label: 'kprobe: write', attach: { kind: 'kprobe', target: 'write' } },
  { label: 'kretprobe: openat', attach: { kind: 'kretprobe', target: 'openat' } },
  {
    label: 'tracepoint: syscalls:sys_enter_execve',
    attach: { kind: 'tracepoint', target: 'syscalls:sys_enter_execve' },
  },
  {
    label: 'tracepoint: sched:sched_process_exec',
    attach: { kind: 'tracepoint', target: 'sched:sched_process_exec' },
  },
];

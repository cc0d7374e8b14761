/**
 * Parse lines of the kernel's trace_pipe (Linux 6.1 layout) into their fields, chiefly the
 * output of bpf_trace_printk(), and print them back compactly for a learner's terminal.
 */

export interface TraceLine {
  /** The task's comm, e.g. `bash`, `<idle>`, or `<...>` when the kernel no longer knows it. */
  task: string;
  pid: number;
  cpu: number;
  /** The irq-info flags column (`d...1`), or '' when the trace options leave it out. */
  flags: string;
  /** Seconds, as printed by the trace clock. */
  timestamp: number;
  /** The event's text after `EVENT: `, without trailing whitespace. */
  message: string;
  /** The whole line as read, minus its line ending. */
  raw: string;
}

// The kernel prints `%16s-%-7d`, then `(%7d) ` or `(-------) ` with the record-tgid option,
// `[%03d] `, the flags with the irq-info option, and `%5lu.%06lu: `. The task is matched
// lazily: comm may hold spaces, dashes, slashes and colons, and this header precedes the
// message, so the first place that fits the whole header is the real one (a message that
// happens to look like a header cannot steal it). Clocks such as `counter` print an integer.
// The right-aligned padding is trimmed afterwards rather than matched (`^\s*(.+?)` backtracks
// quadratically on long junk lines).
const HEADER =
  /^(.+?)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+(?:([^\s:]+)\s+)?(\d+(?:\.\d+)?):(?: |$)/;

// `bpf_trace_printk: `, `sys_enter_openat: `, `0x1: ` - the event name ends at the first colon.
const EVENT_NAME = /^[^\s:]+:(?: |$)/;

/** Parse one trace_pipe line; undefined for anything that is not a trace record. */
export function parseTraceLine(raw: string): TraceLine | undefined {
  const line = raw.replace(/\r?\n$/, '');
  const header = HEADER.exec(line);
  if (header === null) return undefined;
  const [whole, paddedTask = '', pid = '', cpu = '', flags = '', timestamp = ''] = header;

  const task = paddedTask.trim();
  if (task === '') return undefined;

  // Events whose output has no `NAME: ` prefix (function tracer lines) keep their whole text.
  const body = line.slice(whole.length);
  const event = EVENT_NAME.exec(body);
  const message = (event === null ? body : body.slice(event[0].length)).trimEnd();

  return {
    task,
    pid: Number(pid),
    cpu: Number(cpu),
    flags,
    timestamp: Number(timestamp),
    message,
    raw: line,
  };
}

/** `bash-3086 [001] 1234.567890: Hello World!!` */
export function formatTraceLine(t: TraceLine): string {
  const cpu = String(t.cpu).padStart(3, '0');
  return `${t.task}-${t.pid} [${cpu}] ${t.timestamp.toFixed(6)}: ${t.message}`;
}

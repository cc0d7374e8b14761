/**
 * Arguments that would silently read as garbage, found once the probe is attached (when the
 * kernel function behind each attach point is known) and reported as warnings at their line:
 *
 * - named arguments, or PT_REGS_PARMn(ctx), in a kprobe on a syscall wrapper (`kprobe:kill` is
 *   `__x64_sys_kill`, whose only argument is a pointer to the syscall's saved registers; BCC
 *   reads named arguments from there only for functions named `syscall__...`);
 * - a `syscall__` function attached to a function that is not a syscall wrapper;
 * - arguments in a kretprobe: at return, the argument registers hold other values.
 */
import type { AttachedProbe } from '../protocol/messages.js';
import type { SourceDiagnostic } from './diagnostics.js';

interface FunctionDefinition {
  name: string;
  /** Parameter names after the first (the context), in order. */
  args: string[];
  /** The context parameter's name, e.g. `ctx`. */
  ctx: string | undefined;
  /** 1-based line of the definition. */
  line: number;
  /** The body, and the 0-based offset it starts at in the source. */
  body: string;
  bodyStart: number;
}

function lineAt(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (source[i] === '\n') line++;
  return line;
}

function paramName(param: string): string | undefined {
  return /([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*$/.exec(param.trim())?.[1];
}

/** The definition of function `name` in `source`: its parameters and body. */
export function findDefinition(source: string, name: string): FunctionDefinition | undefined {
  const head = new RegExp(`\\b${name}\\s*\\(([^()]*)\\)\\s*\\{`).exec(source);
  if (head === null) return undefined;
  const params = (head[1] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '' && p !== 'void');
  const names = params.map(paramName);
  const bodyStart = head.index + head[0].length;
  let depth = 1;
  let end = bodyStart;
  while (end < source.length && depth > 0) {
    if (source[end] === '{') depth++;
    else if (source[end] === '}') depth--;
    end++;
  }
  return {
    name,
    args: names.slice(1).filter((n): n is string => n !== undefined),
    ctx: names[0],
    line: lineAt(source, head.index),
    body: source.slice(bodyStart, end),
    bodyStart,
  };
}

/** `__x64_sys_kill` → `kill`; undefined for a function that is not a syscall wrapper. */
export function syscallOf(event: string): string | undefined {
  return /^__(?:x64|ia32|arm64|s390x?|riscv|powerpc)_sys_(\w+)$/.exec(event)?.[1];
}

function list(names: string[]): string {
  return names.map((n) => `\`${n}\``).join(', ');
}

/** Warnings for the attached probes' arguments, at the learner's lines. */
export function checkArguments(source: string, probes: AttachedProbe[]): SourceDiagnostic[] {
  const warnings: SourceDiagnostic[] = [];
  const seen = new Set<string>();
  for (const probe of probes) {
    const key = `${probe.kind}:${probe.event}:${probe.fn}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const fn = findDefinition(source, probe.fn);
    if (fn === undefined) continue;
    const syscall = syscallOf(probe.event);
    const bccReadsSyscallArgs =
      fn.name.startsWith('syscall__') || fn.name.startsWith('kprobe____x64_sys_');
    const parmReads = parmReadsOf(source, fn);

    if (probe.kind === 'kretprobe') {
      if (fn.args.length > 0) {
        warnings.push({
          line: fn.line,
          column: 1,
          severity: 'warning',
          message:
            `${list(fn.args)} will not hold ${probe.event}'s arguments: in a kretprobe the ` +
            'function has already returned, and the argument registers hold other values',
          hint:
            'Read the arguments in a kprobe on the same function and keep them in a map for the ' +
            'kretprobe: `BPF_HASH(starts, u64, const char *);`, in the kprobe ' +
            '`u64 id = bpf_get_current_pid_tgid(); starts.update(&id, &filename);`, in the ' +
            'kretprobe `starts.lookup(&id)` then `starts.delete(&id)`. PT_REGS_RC(ctx) is the ' +
            'return value.',
        });
      }
      for (const read of parmReads) {
        warnings.push({
          line: read.line,
          column: read.column,
          severity: 'warning',
          message: `${read.text} in a kretprobe does not read ${probe.event}'s argument: at return the argument registers hold other values`,
          hint: 'Save the argument in a kprobe on the same function (in a map keyed by bpf_get_current_pid_tgid()) and look it up here; PT_REGS_RC(ctx) is the return value.',
        });
      }
      continue;
    }
    if (probe.kind !== 'kprobe') continue;

    if (syscall !== undefined && fn.args.length > 0 && !bccReadsSyscallArgs) {
      warnings.push({
        line: fn.line,
        column: 1,
        severity: 'warning',
        message:
          `${list(fn.args)} will not hold ${syscall}'s arguments: ${probe.event} is the ` +
          "syscall's wrapper, whose only argument is a pointer to the syscall's saved " +
          'registers, and BCC reads named arguments from there only for functions named ' +
          'syscall__...',
        hint:
          `Rename the function to \`syscall__${fn.name}\` and attach it with --attach ` +
          `kprobe:${syscall}=syscall__${fn.name} (BCC then reads ${list(fn.args)} from the ` +
          `syscall's registers), or attach to tracepoint:syscalls:sys_enter_${syscall} and ` +
          'read `args->...`.',
      });
    }
    if (syscall !== undefined && !bccReadsSyscallArgs) {
      for (const read of parmReads.filter((r) => r.index >= 2 || r.syscallVariant)) {
        warnings.push({
          line: read.line,
          column: read.column,
          severity: 'warning',
          message:
            `${read.text} reads ${probe.event}'s own registers, not ${syscall}'s argument ` +
            `${read.index}: the wrapper's only argument is a pointer to the syscall's saved registers`,
          hint:
            `Get the syscall's registers first: \`struct pt_regs *regs = (struct pt_regs ` +
            `*)PT_REGS_PARM1(${fn.ctx ?? 'ctx'});\` then copy the argument: \`u64 arg; ` +
            `bpf_probe_read_kernel(&arg, sizeof(arg), &PT_REGS_PARM${read.index}_SYSCALL(regs));\`. ` +
            `Or name the arguments in a function called syscall__..., or use ` +
            `tracepoint:syscalls:sys_enter_${syscall}.`,
        });
      }
    }
    if (syscall === undefined && fn.name.startsWith('syscall__') && fn.args.length > 0) {
      warnings.push({
        line: fn.line,
        column: 1,
        severity: 'warning',
        message:
          `${list(fn.args)} will not hold ${probe.event}'s arguments: BCC reads the arguments ` +
          "of a syscall__ function from a syscall wrapper's saved registers, and " +
          `${probe.event} is not a syscall wrapper`,
        hint: `Drop the syscall__ prefix from the name when attaching to ${probe.event}, or attach it to a syscall (e.g. --attach kprobe:openat).`,
      });
    }
  }
  return warnings;
}

interface ParmRead {
  text: string;
  index: number;
  syscallVariant: boolean;
  line: number;
  column: number;
}

/** Every `PT_REGS_PARMn(ctx)` / `PT_REGS_PARMn_SYSCALL(ctx)` on the context, in fn's body. */
function parmReadsOf(source: string, fn: FunctionDefinition): ParmRead[] {
  if (fn.ctx === undefined) return [];
  const reads: ParmRead[] = [];
  const pattern = new RegExp(`PT_REGS_PARM([1-6])(_SYSCALL)?\\(\\s*${fn.ctx}\\s*\\)`, 'g');
  for (const match of fn.body.matchAll(pattern)) {
    const offset = fn.bodyStart + (match.index ?? 0);
    const line = lineAt(source, offset);
    const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
    reads.push({
      text: match[0],
      index: Number(match[1]),
      syscallVariant: match[2] !== undefined,
      line,
      column: offset - lineStart + 1,
    });
  }
  return reads;
}

/**
 * `ebpf-lab run FILE.c`: boot a sandbox, compile, load and attach the probe there, optionally
 * trigger it with a command, and print the trace lines. Results go to stdout (plain text or one
 * JSON event per line); progress goes to stderr.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAttachSpec } from '../runner/probe/attach-spec.js';
import { formatEvent, formatMaps } from '../runner/probe/c-value.js';
import { formatDiagnostic, type SourceDiagnostic } from '../runner/probe/diagnostics.js';
import { canLookUp, nothingFiredMessage, relatedFunctions } from '../runner/probe/nothing-fired.js';
import {
  type ProbeError,
  ProbeRun,
  ProbeRunError,
  type ProbeRunEvent,
  type StopReason,
} from '../runner/probe/probe-run.js';
import { formatTraceLine } from '../runner/probe/trace-line.js';
import { describeTracePipeHolders, TRACE_PIPE_FREE_NOTE } from '../runner/probe/trace-pipe.js';
import { LAB_LINE_TAG } from '../runner/protocol/lab-tasks.js';
import type { AttachedProbe, MapSnapshot } from '../runner/protocol/messages.js';
import { describeSandbox } from '../runner/sandbox/describe-sandbox.js';
import { SANDBOX_KINDS, sandboxDriver } from '../runner/sandbox/drivers.js';
import { execInSandbox } from '../runner/sandbox/exec.js';
import { type Sandbox, SandboxError } from '../runner/sandbox/sandbox.js';
import { progressLine } from './progress.js';
import { UsageError } from './usage.js';

export const RUN_USAGE = `Usage: ebpf-lab run FILE.c [options]

Compile, load and attach FILE.c in a fresh sandbox VM and print its trace output.

Options:
  --attach KIND:TARGET[=FN]  Where to attach (repeatable). KIND is kprobe, kretprobe or
                             tracepoint; TARGET a syscall name (clone), a kernel function
                             (do_sys_openat2) or CATEGORY:EVENT for tracepoints; FN the C
                             function, needed only when the source has several. Optional when
                             the source uses BCC's kprobe__/kretprobe__/TRACEPOINT_PROBE names.
  --trigger CMD              Run CMD in the sandbox once attached, as a shell runs a typed
                             command (bash forks, then execs), e.g. --trigger 'ls /'.
  --duration S               Keep collecting for S seconds after the trigger ends (default 1),
                             or after attaching when there is no trigger (default 10).
  --timeout S                Give up after S seconds in all, boot included (default 300).
  --maps                     Show the probe's maps (keys and values decoded): with --json, a
                             "maps" event every second while attached and a final one;
                             as text, the maps as the run left them.
  --json                     Print one JSON event per line on stdout instead of text.
  --sandbox qemu|local       Where the probe runs (default qemu, a microVM). local runs it in
                             this machine's kernel: only inside a disposable VM (Vagrant).

Exit codes: 0 ok; 1 the probe was rejected or stopped (compile, verifier or attach error, a
limit); 2 usage; 3 sandbox failure or timeout.

Example:
  ebpf-lab run hello_world.c --attach kprobe:clone --trigger 'ls /'`;

const EXIT_OK = 0;
const EXIT_PROBE = 1;
const EXIT_SANDBOX = 3;

interface RunOptions {
  file: string;
  attach: ReturnType<typeof parseAttachSpec>[];
  trigger: string | undefined;
  durationMs: number;
  timeoutMs: number;
  json: boolean;
  maps: boolean;
  sandbox: string;
}

function seconds(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback * 1000;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new UsageError(`--${name} must be a number of seconds, got "${text}"`);
  }
  return value * 1000;
}

export function parseRunArgs(args: string[]): RunOptions {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      attach: { type: 'string', multiple: true },
      trigger: { type: 'string' },
      duration: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      maps: { type: 'boolean' },
      sandbox: { type: 'string' },
    },
  });
  const [file, ...extra] = positionals;
  if (!file) throw new UsageError(`no probe file given\n\n${RUN_USAGE}`);
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  let attach: RunOptions['attach'];
  try {
    attach = (values.attach ?? []).map(parseAttachSpec);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const sandbox = values.sandbox ?? 'qemu';
  if (!(SANDBOX_KINDS as readonly string[]).includes(sandbox)) {
    throw new UsageError(`--sandbox must be one of ${SANDBOX_KINDS.join(', ')}, got "${sandbox}"`);
  }
  const trigger = values.trigger;
  if (trigger !== undefined && trigger.trim() === '') throw new UsageError('--trigger is empty');
  return {
    file,
    attach,
    trigger,
    durationMs: seconds('duration', values.duration, trigger ? 1 : 10),
    timeoutMs: seconds('timeout', values.timeout, 300),
    json: values.json ?? false,
    maps: values.maps ?? false,
    sandbox,
  };
}

/** Where results and progress go: text for people or JSON events for programs. */
class Output {
  /** The latest map snapshot: printed as text when the run is over (--maps). */
  lastMaps: MapSnapshot[] | undefined;

  constructor(
    private readonly json: boolean,
    private readonly fileName: string,
    private readonly maps: boolean = false,
  ) {}

  event(name: string, fields: Record<string, unknown>): void {
    if (this.json) process.stdout.write(`${JSON.stringify({ event: name, ...fields })}\n`);
  }

  progress(text: string): void {
    if (this.json) this.event('progress', { text });
    else progressLine('run', text);
  }

  runEvent(event: ProbeRunEvent): void {
    switch (event.type) {
      case 'stage':
        this.event('stage', { stage: event.stage, cached: event.cached });
        if (!this.json && event.stage !== 'attached') {
          progressLine('run', event.cached ? `${event.stage} (cached program)` : event.stage);
        }
        break;
      case 'attached':
        this.event('attached', {
          probes: event.probes,
          ...(event.tracePipeHolders.length > 0 && { tracePipeHolders: event.tracePipeHolders }),
        });
        if (!this.json) {
          for (const p of event.probes)
            progressLine('run', `attached ${p.fn} to ${p.kind} ${p.event}`);
          if (event.tracePipeHolders.length > 0)
            progressLine('run', describeTracePipeHolders(event.tracePipeHolders));
        }
        break;
      case 'notice':
        this.event('notice', { message: event.message, log: event.log });
        if (!this.json) progressLine('run', event.message);
        break;
      case 'trace-pipe-free':
        this.event('trace-pipe-free', {});
        if (!this.json) progressLine('run', TRACE_PIPE_FREE_NOTE);
        break;
      case 'warnings':
        this.event('warnings', {
          diagnostics: event.diagnostics.map((d) => ({ file: this.fileName, ...d })),
        });
        if (!this.json) {
          const text = event.diagnostics.flatMap((d) => this.diagnosticLines(d)).join('\n');
          process.stderr.write(`${text}\n`);
        }
        break;
      case 'trace': {
        if (this.json) {
          this.event('trace', { ...event.parsed, raw: event.raw, lab: event.lab });
          break;
        }
        const text = event.parsed ? formatTraceLine(event.parsed) : event.raw;
        process.stdout.write(`${event.lab ? LAB_LINE_TAG : ''}${text}\n`);
        break;
      }
      case 'event':
        if (this.json) this.event('event', { ...event.event, lab: event.lab });
        else process.stdout.write(`${event.lab ? LAB_LINE_TAG : ''}${formatEvent(event.event)}\n`);
        break;
      case 'events-dropped':
        this.event('events-dropped', { count: event.count });
        if (!this.json)
          progressLine('run', `${event.count} event(s) lost (rate limit or full buffer)`);
        break;
      case 'maps':
        this.lastMaps = event.maps;
        if (this.maps) this.event('maps', { final: event.final, maps: event.maps });
        break;
      case 'dropped':
        this.event('dropped', { count: event.count });
        if (!this.json)
          progressLine('run', `${event.count} trace line(s) dropped by the rate limit`);
        break;
      case 'error':
        this.error(event.error);
        break;
      case 'stopped':
        break;
    }
  }

  private diagnosticLines(d: SourceDiagnostic): string[] {
    const lines = [formatDiagnostic(this.fileName, d)];
    if (d.hint) lines.push(`  why: ${d.hint}`);
    return lines;
  }

  error(error: ProbeError): void {
    if (this.json) {
      this.event('error', {
        kind: error.kind,
        message: error.message,
        diagnostics: error.diagnostics.map((d) => ({ file: this.fileName, ...d })),
        verifier: error.verifier,
        log: error.log,
      });
      return;
    }
    const lines: string[] = [];
    if (error.kind === 'compile' && error.diagnostics.length > 0) {
      for (const d of error.diagnostics) lines.push(...this.diagnosticLines(d));
    } else if (error.kind === 'verifier' && error.verifier) {
      const v = error.verifier;
      const where = v.line ? `${this.fileName}:${v.line}:1` : this.fileName;
      lines.push(`${where}: error: the kernel verifier rejected the program: ${v.summary}`);
      if (v.sourceText) lines.push(`    ${v.sourceText}`);
      lines.push(`  why: ${v.explanation}`);
      lines.push('  verifier log (last lines):');
      for (const l of error.log.trimEnd().split('\n').slice(-15)) lines.push(`    ${l}`);
    } else {
      lines.push(`${this.fileName}: ${error.kind} error: ${error.message}`);
      if (error.log.trim()) lines.push(error.log.trimEnd());
    }
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}

/** For each kprobe event, the kernel functions whose names extend it (see nothing-fired.ts). */
async function relatedKernelFunctions(
  sandbox: Sandbox,
  probes: AttachedProbe[],
): Promise<Map<string, string[]>> {
  const related = new Map<string, string[]>();
  for (const probe of probes) {
    if (probe.kind !== 'kprobe' && probe.kind !== 'kretprobe') continue;
    // The name is a plain symbol (checked), so it is safe inside the command's quotes.
    if (!canLookUp(probe.event) || related.has(probe.event)) continue;
    const result = await execInSandbox(
      sandbox.agent,
      `grep -F -- '${probe.event}' /sys/kernel/debug/tracing/available_filter_functions`,
    );
    related.set(probe.event, relatedFunctions(result.stdout, probe.event));
  }
  return related;
}

function exitCodeFor(error: ProbeError): number {
  return error.kind === 'sandbox' || error.kind === 'internal' ? EXIT_SANDBOX : EXIT_PROBE;
}

export async function runCommand(args: string[]): Promise<number> {
  const options = parseRunArgs(args);
  let source: string;
  try {
    source = await readFile(options.file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${options.file}: ${(error as Error).message}`);
  }
  const output = new Output(options.json, basename(options.file), options.maps);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('timeout')), options.timeoutMs);
  const onSigint = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await sandboxDriver(options.sandbox).start({
      signal: abort.signal,
      onProgress: (text) => output.progress(text),
    });
    output.event('sandbox', { mode: sandbox.mode, kernel: sandbox.kernel, bootMs: sandbox.bootMs });
    if (!options.json) {
      progressLine('run', `sandbox ready (${describeSandbox(sandbox)})`, sandbox.bootMs);
    }
    return await runProbe(sandbox, source, options, output, abort.signal);
  } catch (error) {
    if (abort.signal.aborted) return interrupted(abort.signal.reason, options, output);
    if (error instanceof SandboxError) {
      output.error({ kind: 'sandbox', message: error.message, log: '', diagnostics: [] });
      return EXIT_SANDBOX;
    }
    throw error;
  } finally {
    clearTimeout(timer);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await sandbox?.stop();
  }
}

function interrupted(reason: unknown, options: RunOptions, output: Output): number {
  if ((reason as Error)?.message === 'interrupted') {
    output.progress('interrupted; sandbox stopped');
    return EXIT_OK;
  }
  output.error({
    kind: 'sandbox',
    message: `timed out after ${options.timeoutMs / 1000} s (--timeout)`,
    log: '',
    diagnostics: [],
  });
  return EXIT_SANDBOX;
}

async function runProbe(
  sandbox: Sandbox,
  source: string,
  options: RunOptions,
  output: Output,
  signal: AbortSignal,
): Promise<number> {
  let lines = 0;
  let events = 0;
  let probes: AttachedProbe[] = [];
  const run = ProbeRun.start(sandbox.agent, { source, attach: options.attach }, (event) => {
    if (event.type === 'trace') lines++;
    if (event.type === 'event') events++;
    if (event.type === 'attached') probes = event.probes;
    output.runEvent(event);
  });
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => {});
  try {
    await Promise.race([run.attached, aborted]);
  } catch (error) {
    if (!(error instanceof ProbeRunError)) throw error;
    output.event('stopped', { reason: await run.done, lines });
    return exitCodeFor(error.error);
  }

  if (options.trigger) {
    output.progress(`trigger: ${options.trigger}`);
    const result = await Promise.race([
      execInSandbox(sandbox.agent, options.trigger, {
        signal,
        onOutput: options.json
          ? undefined
          : (_stream, text) => process.stderr.write(text.replace(/^(?=.)/gm, '  | ')),
      }),
      aborted,
    ]);
    output.event('trigger', { command: options.trigger, ...result });
    if (!options.json && result.code !== 0) {
      const how = result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`;
      progressLine('run', `trigger ${how}`);
    }
  }

  const stopReason = await Promise.race([
    run.done,
    new Promise<'elapsed'>((resolve) => setTimeout(() => resolve('elapsed'), options.durationMs)),
    aborted,
  ]).catch((error: unknown) => {
    if (signal.aborted) return undefined;
    throw error;
  });
  const reason: StopReason =
    stopReason === 'elapsed' || stopReason === undefined ? await run.stop() : stopReason;
  output.event('stopped', { reason, lines, events });
  if (!options.json) {
    if (options.maps && output.lastMaps) {
      process.stdout.write(`${formatMaps(output.lastMaps).join('\n')}\n`);
    }
    // A probe that only counts in a map prints nothing and still fired.
    const counted = output.lastMaps?.some((m) => m.total > 0) ?? false;
    const hint =
      lines === 0 && events === 0 && !counted && !signal.aborted
        ? `: ${nothingFiredMessage({
            trigger: options.trigger,
            durationMs: options.durationMs,
            probes,
            related: await relatedKernelFunctions(sandbox, probes),
          })}`
        : '';
    const sent = events > 0 ? `, ${events} event(s)` : '';
    progressLine('run', `stopped (${reason}), ${lines} trace line(s)${sent}${hint}`);
  }
  if (signal.aborted) return interrupted(signal.reason, options, output);
  return run.error ? exitCodeFor(run.error) : EXIT_OK;
}

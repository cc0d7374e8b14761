/**
 * `ebpf-lab bench`: how long a learner waits, measured side by side in one sandbox.
 *
 *   boot_ready_ms          power-on to agent ready
 *   cold_run_ms            power-on to the first Hello World trace line (boot + first run)
 *   warm_run_ms            run request to first trace line in a booted sandbox: Run pressed
 *                          again on the same code (the worker keeps bcc imported and the
 *                          compiled program cached by source hash)
 *   warm_compile_run_ms    the same with a source never seen before (a real clang compile)
 *   guide_run_ms           the guide's own way: `python3 hello_world.py` started fresh in the
 *                          same sandbox, until its first trace line
 *   shell_script_first_line_ms  BCC's tutorial `hello_world.py` typed into a real sandbox shell,
 *                          Enter to its first trace line (shell-first-line.ts)
 *   browser_run_ms         the browser's Run through a real lab server's WebSocket, in the same
 *                          sandbox: a new source compiled ahead (as the page does while the
 *                          learner types), then Run, `ls` typed in the shell, the first trace
 *                          line (browser-run.ts); browser_run_ratio is its median / warm_run's
 *   restore_ready_ms       power-on to agent ready for a sandbox restored from the VM template
 *                          (boot_ready_ms is a cold boot, measured in the same bench)
 *   first_run_ms           the first Run (a new source) on a freshly restored sandbox, handed
 *                          over as the pool hands one it started ahead (warm-up.ts)
 *   first_run_ratio        first_run_ms / the next new-source Run in the same sandbox
 *   idle_cpu_pct_per_sandbox  host CPU of an idle restored sandbox, % of one core
 *   idle_cpu_pct_attached  the same with a probe attached that nothing fires
 *   pss_mb_per_sandbox     proportional resident memory of an idle restored sandbox, with the
 *                          template's pages shared with a second one restored beside it
 *   pss_mb_restored        the same before its first compile
 *   private_mb_per_sandbox the part of it no other sandbox shares (anonymous memory)
 *   includes_compile_ms    a compile of lesson 12's guard (it opens with <linux/fs.h>) on that
 *                          sandbox, whose template has precompiled those includes; and
 *   includes_compile_ms_unprecompiled  the same text behind a #define, which ends the includes
 *                          a precompiled header can stand in for: <linux/fs.h> parsed, as before
 *
 * Warm, warm-compile, guide and browser runs are interleaved, round by round, so machine noise hits
 * them alike. The medians and their ratio are what to quote.
 */

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PACKAGE_ROOT } from '../runner/paths.js';
import { prepareProbe } from '../runner/probe/prepare.js';
import { ProbeRun } from '../runner/probe/probe-run.js';
import { execInSandbox } from '../runner/sandbox/exec.js';
import { processCpuSeconds } from '../runner/sandbox/process-cpu.js';
import { QemuSandboxDriver } from '../runner/sandbox/qemu.js';
import type { Sandbox } from '../runner/sandbox/sandbox.js';
import { buildTemplate } from '../runner/sandbox/template-build.js';
import { warmTranslation } from '../runner/sandbox/warm-up.js';
import { runNeighbourBench } from './bench-neighbour.js';
import { startBrowserRuns } from './browser-run.js';
import { progressLine } from './progress.js';
import { shellScriptFirstLine } from './shell-first-line.js';
import type { SoakResult } from './soak.js';
import { median } from './stats.js';
import { UsageError } from './usage.js';

const MAX_LEARNERS = 64;
const DEFAULT_MINUTES = 3;

export const BENCH_USAGE = `Usage: ebpf-lab bench [--runs N] [--json]
       ebpf-lab bench --soak N [--json]
       ebpf-lab bench --learners N [--minutes M] [--no-templates] [--json]
       ebpf-lab bench --neighbour [--runs N] [--json]

Boots a sandbox and measures boot, cold run, warm runs, the guide's own
\`python3 hello_world.py\`, BCC's tutorial hello_world.py typed into the
sandbox shell and the browser's Run (a tab of a lab server on the
same sandbox, source compiled ahead), interleaved in the same sandbox; then a
sandbox restored from the VM template: restore time, first Run, idle CPU, PSS.

  --runs N   rounds of warm, warm-compile, guide, shell script and browser runs
             (default 5, at least 1)
  --soak N   instead: N Runs in one sandbox through the lab server's WebSocket;
             reports failures, Run latency (median, p95, max) and the resident
             memory of the server and the sandbox at the start, after 50 Runs
             and at the end
  --learners N
             instead: capacity. A lab server on 127.0.0.1 with room for N
             sandboxes and N simulated learners (1 to ${MAX_LEARNERS}), each a tab over its
             WebSocket, arriving over the first 30 s; each in lesson 2, again and
             again: a new source, compiled ahead, Run, \`ls\` in the shell, the
             first trace line, Check, then 30-60 s of thinking (seeded). Reports
             p50/p95 of Run -> first trace line and of Check, failures and why,
             sandboxes, host CPU (% of the machine) and memory in use (peak)
  --minutes M
             with --learners: how long learners start new cycles (default ${DEFAULT_MINUTES});
             the cycles under way then finish
  --no-templates
             with --learners: every sandbox boots cold instead of restoring the
             VM template
  --json     print the results as one JSON object on the last line
  --neighbour
             instead: a victim sandbox's warm Run (to the first trace line) alone, then
             while a neighbour sandbox burns both vCPUs uncapped, then capped at the
             host CPU quota every sandbox gets

Targets on a 2-core machine under software emulation: boot-to-ready <= 3 s,
warm run <= 1.5 s median, warm run / guide run <= 0.4, browser / warm <= 1.3;
with --learners, p95 of Run -> first trace line <= 10 s.`;

const TRIGGER = 'ls /';
const FIRST_LINE_TIMEOUT_MS = 120_000;
const GUIDE_DIR = join(PACKAGE_ROOT, 'content', 'guide');
const GUARD_FILE = join(PACKAGE_ROOT, 'lessons', '12-security', 'files', 'guard.c');

export interface BenchResult {
  mode: string;
  kernel: string;
  runs: number;
  boot_ready_ms: number;
  cold_run_ms: number;
  warm_run_ms_median: number;
  warm_compile_run_ms_median: number;
  guide_run_ms: number;
  ratio_warm_to_guide: number;
  /** BCC's tutorial hello_world.py typed into the sandbox shell: Enter to first line (median). */
  shell_script_first_line_ms: number;
  browser_run_ms_median: number;
  /** browser_run_ms_median / warm_run_ms_median: what the web path adds (target <= 1.3). */
  browser_run_ratio: number;
  restore_ready_ms: number;
  first_run_ms: number;
  /** first_run_ms / the next new-source Run in the same sandbox (target <= 1.2). */
  first_run_ratio: number;
  idle_cpu_pct_per_sandbox: number;
  /** The same with the learner's probe attached and nothing firing it (a learner gone quiet). */
  idle_cpu_pct_attached: number;
  pss_mb_per_sandbox: number;
  /** The same just restored, before its first compile (template pages, nothing translated). */
  pss_mb_restored: number;
  /**
   * The part of pss_mb_per_sandbox no other sandbox shares: what each more learner costs once a
   * class shares the template's pages many ways.
   */
  private_mb_per_sandbox: number;
  /** Lesson 12's guard compiled ahead on the restored sandbox: its includes precompiled. */
  includes_compile_ms: number;
  /** The same with its includes parsed (no precompiled header can stand in for them). */
  includes_compile_ms_unprecompiled: number;
  samples: {
    warm_run_ms: number[];
    warm_compile_run_ms: number[];
    guide_run_ms: number[];
    shell_script_first_line_ms: number[];
    browser_run_ms: number[];
  };
}

/** Starts a probe run, fires the trigger once attached, resolves at the first Hello World line. */
export async function timeToFirstLine(sandbox: Sandbox, source: string): Promise<number> {
  const started = performance.now();
  let resolveLine!: (ms: number) => void;
  const firstLine = new Promise<number>((resolve) => {
    resolveLine = resolve;
  });
  const run = ProbeRun.start(
    sandbox.agent,
    { source, attach: [{ kind: 'kprobe', target: 'clone' }] },
    (event) => {
      if (event.type === 'trace' && event.raw.includes('Hello World'))
        resolveLine(performance.now() - started);
    },
  );
  try {
    await run.attached;
    const trigger = execInSandbox(sandbox.agent, TRIGGER);
    const ms = await withTimeout(firstLine, FIRST_LINE_TIMEOUT_MS, 'no Hello World line');
    await trigger;
    return Math.round(ms);
  } finally {
    await run.stop();
  }
}

/** The guide's program started fresh; resolves when it prints its first trace line. */
async function guideRun(sandbox: Sandbox): Promise<number> {
  const started = performance.now();
  let resolveLine!: (ms: number) => void;
  const firstLine = new Promise<number>((resolve) => {
    resolveLine = resolve;
  });
  const abort = new AbortController();
  // A background loop keeps forking so there is a clone to trace as soon as the probe attaches.
  const command =
    '(while :; do sleep 0.1; done) & cd /root && PYTHONUNBUFFERED=1 exec python3 hello_world.py';
  const exec = execInSandbox(sandbox.agent, command, {
    timeoutMs: FIRST_LINE_TIMEOUT_MS,
    signal: abort.signal,
    onOutput: (_stream, text) => {
      if (text.includes('Hello World')) resolveLine(performance.now() - started);
    },
  });
  try {
    return Math.round(
      await withTimeout(firstLine, FIRST_LINE_TIMEOUT_MS, 'hello_world.py printed nothing'),
    );
  } finally {
    abort.abort();
    await exec;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A compile ahead of `source` (as the page sends while the learner types), request to answer. */
async function compileMs(sandbox: Sandbox, source: string): Promise<number> {
  const started = performance.now();
  const prepared = await prepareProbe(sandbox.agent, source, { timeoutMs: FIRST_LINE_TIMEOUT_MS });
  if (prepared.error) throw new Error(`the compile failed: ${prepared.error.message}`);
  return Math.round(performance.now() - started);
}

/** A sandbox just restored or just attached settles first (page faults, the first heartbeat). */
const IDLE_SETTLE_MS = 5_000;
/** Long enough for the guest's slowest housekeeping timers (10 s) to show. */
const IDLE_SAMPLE_MS = 20_000;

/** Host CPU used by an idle sandbox, as % of one core, over IDLE_SAMPLE_MS once settled. */
async function idleCpuPct(pid: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
  const before = processCpuSeconds(pid);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_SAMPLE_MS));
  const usedSeconds = processCpuSeconds(pid) - before;
  const elapsedSeconds = (performance.now() - started) / 1000;
  return Number(((100 * usedSeconds) / elapsedSeconds).toFixed(2));
}

/** Idle host CPU while the guide's probe sits attached to clone, which nothing idle calls. */
async function idleAttachedCpuPct(sandbox: Sandbox, source: string): Promise<number> {
  const run = ProbeRun.start(
    sandbox.agent,
    { source, attach: [{ kind: 'kprobe', target: 'clone' }] },
    () => {},
  );
  try {
    await run.attached;
    return await idleCpuPct(sandbox.pid ?? 0);
  } finally {
    await run.stop();
  }
}

/**
 * Resident memory of process `pid` in MB: its proportional set size (shared pages split between
 * their users) and the anonymous part of it, which no other sandbox shares (qemu's heap and
 * translated code, the guest pages it wrote over the template's).
 */
function memoryMb(pid: number): { pss: number; anonymous: number } {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const mb = (field: string) =>
    Math.round(Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1]) / 1024);
  return { pss: mb('Pss'), anonymous: mb('Pss_Anon') };
}

export async function runBench(
  runs: number,
  report: (text: string) => void = () => {},
): Promise<BenchResult> {
  const source = await readFile(join(GUIDE_DIR, 'hello_world.c'), 'utf8');
  const guideScript = await readFile(join(GUIDE_DIR, 'hello_world.py'));
  const templated = new QemuSandboxDriver();
  await buildTemplate(templated, { onProgress: report });
  report('booting a sandbox cold');
  const sandbox = await new QemuSandboxDriver({ template: false }).start({ onProgress: report });
  try {
    const cold = sandbox.bootMs + (await timeToFirstLine(sandbox, source));
    report(`boot ${sandbox.bootMs} ms, cold run ${cold} ms`);
    const install = await execInSandbox(
      sandbox.agent,
      `echo ${guideScript.toString('base64')} | base64 -d > /root/hello_world.py`,
    );
    if (install.code !== 0) throw new Error(`cannot write hello_world.py: ${install.stderr}`);
    const samples: BenchResult['samples'] = {
      warm_run_ms: [],
      warm_compile_run_ms: [],
      guide_run_ms: [],
      shell_script_first_line_ms: [],
      browser_run_ms: [],
    };
    report('opening the lab in a tab, on the same sandbox');
    const browser = await startBrowserRuns(sandbox, source, report);
    try {
      for (let round = 1; round <= runs; round++) {
        samples.warm_run_ms.push(await timeToFirstLine(sandbox, source));
        // A comment makes the text new (a cache miss) without changing the program.
        samples.warm_compile_run_ms.push(
          await timeToFirstLine(sandbox, `// bench round ${round} ${Date.now()}\n${source}`),
        );
        samples.guide_run_ms.push(await guideRun(sandbox));
        samples.shell_script_first_line_ms.push(
          await shellScriptFirstLine(sandbox, FIRST_LINE_TIMEOUT_MS),
        );
        samples.browser_run_ms.push(await browser.run(round));
        report(
          `round ${round}/${runs}: warm ${samples.warm_run_ms.at(-1)} ms, ` +
            `warm compile ${samples.warm_compile_run_ms.at(-1)} ms, guide ${samples.guide_run_ms.at(-1)} ms, ` +
            `shell script ${samples.shell_script_first_line_ms.at(-1)} ms, ` +
            `browser ${samples.browser_run_ms.at(-1)} ms`,
        );
      }
    } finally {
      await browser.close();
    }
    // A learner's sandbox: restored from the template, while the cold one still runs. A second
    // learner's beside it shares the template's pages, as every sandbox of a class does.
    const restored = await templated.start({ onProgress: report });
    const neighbour = await templated.start().catch(async (error: unknown) => {
      await restored.stop();
      throw error;
    });
    let restore: Pick<
      BenchResult,
      | 'restore_ready_ms'
      | 'first_run_ms'
      | 'first_run_ratio'
      | 'idle_cpu_pct_per_sandbox'
      | 'idle_cpu_pct_attached'
      | 'pss_mb_per_sandbox'
      | 'pss_mb_restored'
      | 'private_mb_per_sandbox'
      | 'includes_compile_ms'
      | 'includes_compile_ms_unprecompiled'
    >;
    try {
      if (restored.startedFrom !== 'template') {
        throw new Error('the sandbox did not start from the template (see the progress above)');
      }
      // As the lab's pool does for a sandbox it starts ahead of need (pool.ts), before a learner
      // takes it: the handed sandbox is the one measured.
      const pid = restored.pid ?? 0;
      const pssRestored = memoryMb(pid).pss;
      await warmTranslation(restored);
      await warmTranslation(neighbour);
      const idle = await idleCpuPct(pid);
      const { pss, anonymous } = memoryMb(pid);
      await neighbour.stop();
      const first = await timeToFirstLine(restored, `// bench first run ${Date.now()}\n${source}`);
      const later = await timeToFirstLine(restored, `// bench later run ${Date.now()}\n${source}`);
      const attached = await idleAttachedCpuPct(restored, source);
      const guard = await readFile(GUARD_FILE, 'utf8');
      const includes = await compileMs(restored, `// bench includes ${Date.now()}\n${guard}`);
      const unprecompiled = await compileMs(
        restored,
        `#define EBPF_LAB_BENCH ${Date.now()}\n${guard}`,
      );
      restore = {
        restore_ready_ms: restored.bootMs,
        first_run_ms: first,
        first_run_ratio: Number((first / later).toFixed(3)),
        idle_cpu_pct_per_sandbox: idle,
        idle_cpu_pct_attached: attached,
        pss_mb_per_sandbox: pss,
        pss_mb_restored: pssRestored,
        private_mb_per_sandbox: anonymous,
        includes_compile_ms: includes,
        includes_compile_ms_unprecompiled: unprecompiled,
      };
      report(
        `restore ${restored.bootMs} ms, first run ${first} ms (the next ${later} ms), ` +
          `idle ${idle} % of a core ` +
          `(${attached} % with a probe attached), PSS ${pss} MB (${pssRestored} MB just restored, ` +
          `${anonymous} MB its own), lesson 12's guard compiled in ${includes} ms ` +
          `(${unprecompiled} ms with its includes parsed)`,
      );
    } finally {
      await Promise.all([restored.stop(), neighbour.stop()]);
    }
    const warm = median(samples.warm_run_ms);
    const guide = median(samples.guide_run_ms);
    const browserRun = median(samples.browser_run_ms);
    return {
      mode: sandbox.mode,
      kernel: sandbox.kernel,
      runs,
      boot_ready_ms: sandbox.bootMs,
      cold_run_ms: cold,
      warm_run_ms_median: warm,
      warm_compile_run_ms_median: median(samples.warm_compile_run_ms),
      guide_run_ms: guide,
      ratio_warm_to_guide: Number((warm / guide).toFixed(3)),
      shell_script_first_line_ms: median(samples.shell_script_first_line_ms),
      browser_run_ms_median: browserRun,
      browser_run_ratio: Number((browserRun / warm).toFixed(3)),
      ...restore,
      samples,
    };
  } finally {
    await sandbox.stop();
  }
}

async function soakCommand(value: string, json: boolean): Promise<number> {
  const runs = Number(value);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100_000) {
    throw new UsageError(`--soak must be a whole number from 1 to 100000, got "${value}"`);
  }
  const { runSoak } = await import('./soak.js');
  const result = await runSoak(runs, (text) => progressLine('soak', text));
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.failures === 0 ? 0 : 1;
  }
  const memory = (m: SoakResult['server_rss_mib']) =>
    `${m.start} → ${m.after50 ?? '-'} → ${m.end} MiB`;
  const rows: [string, string][] = [
    ['runs', String(result.runs)],
    ['failures', String(result.failures)],
    ['run to first line, median', `${result.run_ms_median} ms`],
    ['run to first line, p95', `${result.run_ms_p95} ms`],
    ['run to first line, max', `${result.run_ms_max} ms`],
    ['server memory (start → 50 runs → end)', memory(result.server_rss_mib)],
    ['sandbox memory (start → 50 runs → end)', memory(result.sandbox_rss_mib)],
    ['total time', `${result.total_s} s`],
  ];
  for (const [name, text] of rows) process.stdout.write(`${name.padEnd(40)} ${text}\n`);
  for (const reason of result.failureReasons) process.stdout.write(`failed: ${reason}\n`);
  return result.failures === 0 ? 0 : 1;
}

async function capacityCommand(
  learnersValue: string,
  minutesValue: string | undefined,
  templates: boolean,
  json: boolean,
): Promise<number> {
  const learners = Number(learnersValue);
  if (!Number.isInteger(learners) || learners < 1 || learners > MAX_LEARNERS) {
    throw new UsageError(
      `--learners must be a whole number from 1 to ${MAX_LEARNERS}, got "${learnersValue}"`,
    );
  }
  const minutes = minutesValue === undefined ? DEFAULT_MINUTES : Number(minutesValue);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 120) {
    throw new UsageError(`--minutes must be a number above 0, at most 120, got "${minutesValue}"`);
  }
  const { runCapacity } = await import('./capacity.js');
  const result = await runCapacity({ learners, minutes, templates }, (text) =>
    progressLine('capacity', text),
  );
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return result.failures === 0 ? 0 : 1;
  }
  const rows: [string, string][] = [
    ['learners', `${result.learners} for ${result.minutes} min (${result.duration_s} s)`],
    ['sandboxes', result.templates ? 'restored from the template' : 'booted cold'],
    ['cycles (edit, Run, Check)', String(result.cycles)],
    ['Run -> first trace line, p50 / p95', `${result.run_ms_p50} / ${result.run_ms_p95} ms`],
    ['Check, p50 / p95', `${result.check_ms_p50} / ${result.check_ms_p95} ms`],
    ['failures', String(result.failures)],
    [
      'sandboxes started (from template; peak)',
      `${result.sandboxes} (${result.sandboxes_from_template}; ${result.sandboxes_peak} at once)`,
    ],
    [
      'tab open -> sandbox ready, p50 / p95',
      `${result.sandbox_ready_ms_p50} / ${result.sandbox_ready_ms_p95} ms`,
    ],
    ['host CPU over the window', `${result.host_cpu_pct} % of ${result.host_cpus} cores`],
    [
      'host memory in use (start -> peak)',
      `${result.host_mem_used_mb_start} -> ${result.host_mem_used_mb_peak} of ${result.host_mem_total_mb} MB`,
    ],
  ];
  for (const [name, text] of rows) process.stdout.write(`${name.padEnd(42)} ${text}\n`);
  for (const reason of result.failure_reasons) process.stdout.write(`failed: ${reason}\n`);
  return result.failures === 0 ? 0 : 1;
}

export async function benchCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: 'string' },
      soak: { type: 'string' },
      json: { type: 'boolean' },
      neighbour: { type: 'boolean' },
      learners: { type: 'string' },
      minutes: { type: 'string' },
      'no-templates': { type: 'boolean' },
    },
  });
  if (values.learners === undefined && (values.minutes !== undefined || values['no-templates'])) {
    throw new UsageError('--minutes and --no-templates go with --learners N');
  }
  if (values.soak !== undefined) return soakCommand(values.soak, values.json ?? false);
  if (values.learners !== undefined) {
    return capacityCommand(
      values.learners,
      values.minutes,
      !values['no-templates'],
      values.json ?? false,
    );
  }
  const runs = values.runs === undefined ? 5 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
    throw new UsageError(`--runs must be a whole number from 1 to 100, got "${values.runs}"`);
  }
  if (values.neighbour) {
    const result = await runNeighbourBench(runs, (text) => progressLine('bench', text));
    process.stdout.write(`${JSON.stringify(result, null, values.json ? 0 : 2)}\n`);
    return 0;
  }
  const result = await runBench(runs, (text) => progressLine('bench', text));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  const rows: [string, string, string][] = [
    ['mode', result.mode, ''],
    ['boot to ready', `${result.boot_ready_ms} ms`, 'target <= 3000 ms'],
    ['cold run (power-on to first line)', `${result.cold_run_ms} ms`, ''],
    ['warm run, median', `${result.warm_run_ms_median} ms`, 'target <= 1500 ms'],
    ['warm run with a new source, median', `${result.warm_compile_run_ms_median} ms`, ''],
    ['guide: python3 hello_world.py, median', `${result.guide_run_ms} ms`, ''],
    ['warm / guide', String(result.ratio_warm_to_guide), 'target <= 0.4'],
    ['shell: BCC hello_world.py, median', `${result.shell_script_first_line_ms} ms`, ''],
    ['browser Run (compiled ahead), median', `${result.browser_run_ms_median} ms`, ''],
    ['browser / warm', String(result.browser_run_ratio), 'target <= 1.3'],
    ['restore from template to ready', `${result.restore_ready_ms} ms`, 'target <= 1000 ms'],
    ['first run on a restored sandbox', `${result.first_run_ms} ms`, ''],
    ['first run / the next new-source run', String(result.first_run_ratio), 'target <= 1.2'],
    ['idle sandbox, host CPU', `${result.idle_cpu_pct_per_sandbox} %`, 'target <= 2 %'],
    ['idle, a probe attached, host CPU', `${result.idle_cpu_pct_attached} %`, ''],
    ['idle sandbox, PSS', `${result.pss_mb_per_sandbox} MB`, 'target <= 150 MB'],
    ['just restored, PSS', `${result.pss_mb_restored} MB`, ''],
    ['idle sandbox, its own memory', `${result.private_mb_per_sandbox} MB`, ''],
    ["compile, lesson 12's includes precompiled", `${result.includes_compile_ms} ms`, ''],
    ['the same, its includes parsed', `${result.includes_compile_ms_unprecompiled} ms`, ''],
  ];
  for (const [name, value, target] of rows) {
    process.stdout.write(`${name.padEnd(40)} ${value.padStart(10)}  ${target}\n`);
  }
  return 0;
}

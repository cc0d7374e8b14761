/**
 * `ebpf-lab bench --learners N`: how many learners one server holds. A local lab server (this
 * process, 127.0.0.1, a free port, room for N sandboxes) and N simulated learners, each a tab
 * over the server's real WebSocket, following the model of learner-model.ts for a bounded time.
 * Reports p50/p95 of Run → first trace line and of Check → verdict, the failures with their
 * reasons, the sandboxes started, and the host's CPU (% of the machine over the window, from
 * /proc/stat) and memory in use (its peak, from /proc/meminfo).
 */
import { cpus } from 'node:os';
import type { SandboxSource } from '../app/server/session.js';
import type { Lesson } from '../app/shared/http-api.js';
import { SandboxPool } from '../runner/sandbox/pool.js';
import { QemuSandboxDriver } from '../runner/sandbox/qemu.js';
import type { Sandbox } from '../runner/sandbox/sandbox.js';
import { buildTemplate } from '../runner/sandbox/template-build.js';
import { startBenchLab } from './bench-lab.js';
import { cpuPercent, readCpuTimes, readMemoryUse } from './host-load.js';
import {
  arrivalMs,
  BENCH_LESSON,
  editMark,
  learnerRandom,
  learnerSource,
  PROBE_FILE,
  thinkMs,
} from './learner-model.js';
import { quantile } from './stats.js';
import { pressCheck, pressRun, sandboxReady, TabClient } from './tab-client.js';

const RUN_TIMEOUT_MS = 150_000;
const CHECK_TIMEOUT_MS = 240_000;
const SAMPLE_EVERY_MS = 1000;
/** Failures listed in words (all are counted). */
const REASONS_KEPT = 20;
export const DEFAULT_SEED = 11;

export interface CapacityOptions {
  learners: number;
  /** How long learners start new cycles; the cycles under way then finish. */
  minutes: number;
  /** Restore sandboxes from the VM template (false: every sandbox boots cold). */
  templates: boolean;
  seed?: number;
}

export interface CapacityResult {
  learners: number;
  minutes: number;
  templates: boolean;
  lesson: string;
  seed: number;
  /** Cycles (edit, compile-ahead, Run, Check) the learners went through. */
  cycles: number;
  run_ms_p50: number;
  run_ms_p95: number;
  check_ms_p50: number;
  check_ms_p95: number;
  failures: number;
  failure_reasons: string[];
  /** Sandboxes the lab started, how many came from the template, and most held at once. */
  sandboxes: number;
  sandboxes_from_template: number;
  sandboxes_peak: number;
  /** Tab open → sandbox ready (restore or cold boot, queueing for a slot included). */
  sandbox_ready_ms_p50: number;
  sandbox_ready_ms_p95: number;
  host_cpus: number;
  /** Host CPU busy over the whole window, % of the machine (all cores). */
  host_cpu_pct: number;
  host_mem_total_mb: number;
  /** MemTotal − MemAvailable before the first learner, and its peak during the window. */
  host_mem_used_mb_start: number;
  host_mem_used_mb_peak: number;
  duration_s: number;
  samples: { run_ms: number[]; check_ms: number[] };
}

/** What the learners share: the lab, the clock, and where their figures go. */
interface Bench {
  url: string;
  learners: number;
  seed: number;
  deadline: number;
  report: (text: string) => void;
  runMs: number[];
  checkMs: number[];
  readyMs: number[];
  cycles: number;
  failures: number;
  reasons: string[];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function fail(bench: Bench, what: string, error: unknown): void {
  bench.failures++;
  const reason = `${what}: ${error instanceof Error ? error.message : String(error)}`;
  if (bench.reasons.length < REASONS_KEPT) bench.reasons.push(reason);
  bench.report(`failed: ${reason}`);
}

/** One learner, from arrival to the end of the bench (learner-model.ts says what they do). */
async function learner(bench: Bench, index: number): Promise<void> {
  const who = `learner ${index + 1}`;
  const random = learnerRandom(bench.seed, index);
  await sleep(arrivalMs(index, bench.learners));
  let tab: TabClient | undefined;
  try {
    // The page: the lesson from the HTTP API, then its tab's WebSocket, saying what it shows.
    const res = await fetch(`${bench.url}/api/lessons/${BENCH_LESSON}`);
    if (!res.ok) throw new Error(`GET /api/lessons/${BENCH_LESSON}: HTTP ${res.status}`);
    const lesson = (await res.json()) as Lesson;
    tab = await TabClient.open(bench.url);
    tab.send({ type: 'view', lessonId: BENCH_LESSON });
    bench.readyMs.push(await sandboxReady(tab, (text) => bench.report(`${who}: ${text}`)));
    // Every learner goes through one cycle at least, however late their sandbox came: a bench
    // whose sandboxes all booted after the deadline (cold, many at once) measured nothing.
    for (let cycle = 1; cycle === 1 || performance.now() < bench.deadline; cycle++) {
      const source = learnerSource(index, cycle);
      const files = { [PROBE_FILE]: source };
      try {
        const runMs = await pressRun(tab, {
          source,
          attach: lesson.attach,
          lessonId: BENCH_LESSON,
          files,
          compileAhead: true,
          trigger: 'ls',
          expect: editMark(index, cycle),
          timeoutMs: RUN_TIMEOUT_MS,
        });
        bench.runMs.push(runMs);
        const check = await pressCheck(tab, BENCH_LESSON, files, CHECK_TIMEOUT_MS);
        bench.checkMs.push(check.ms);
        if (!check.passed) throw new Error(`Check did not pass: ${check.failed.join('; ')}`);
        bench.report(`${who}, edit ${cycle}: Run ${runMs} ms, Check ${check.ms} ms`);
      } catch (error) {
        fail(bench, `${who}, edit ${cycle}`, error);
      }
      bench.cycles++;
      await sleep(Math.min(thinkMs(random), bench.deadline - performance.now()));
    }
  } catch (error) {
    fail(bench, who, error);
  } finally {
    tab?.close();
  }
}

export async function runCapacity(
  options: CapacityOptions,
  report: (text: string) => void = () => {},
): Promise<CapacityResult> {
  const seed = options.seed ?? DEFAULT_SEED;
  const driver = new QemuSandboxDriver({ template: options.templates });
  if (options.templates) await buildTemplate(driver, { onProgress: report });
  const pool = new SandboxPool(driver, 0);
  // Every sandbox the lab starts, to say how many there were and how they started.
  const started: Sandbox[] = [];
  const counted: SandboxSource = {
    acquire: async (startOptions) => {
      const sandbox = await pool.acquire(startOptions);
      started.push(sandbox);
      return sandbox;
    },
  };
  const lab = await startBenchLab(counted, options.learners);
  const memStart = readMemoryUse();
  let memPeak = memStart.usedMb;
  let sandboxesPeak = 0;
  const sampler = setInterval(() => {
    memPeak = Math.max(memPeak, readMemoryUse().usedMb);
    sandboxesPeak = Math.max(sandboxesPeak, lab.server.registry.sandboxPids().length);
  }, SAMPLE_EVERY_MS);
  const cpuStart = readCpuTimes();
  const startedAt = performance.now();
  const bench: Bench = {
    url: lab.url,
    learners: options.learners,
    seed,
    deadline: startedAt + options.minutes * 60_000,
    report,
    runMs: [],
    checkMs: [],
    readyMs: [],
    cycles: 0,
    failures: 0,
    reasons: [],
  };
  let cpuEnd = cpuStart;
  let endedAt = startedAt;
  try {
    report(
      `${options.learners} learners for ${options.minutes} min, ` +
        `sandboxes ${options.templates ? 'restored from the template' : 'booted cold'}`,
    );
    await Promise.all(Array.from({ length: options.learners }, (_, i) => learner(bench, i)));
    // The window ends with the last learner's last cycle, before the sandboxes are stopped.
    cpuEnd = readCpuTimes();
    endedAt = performance.now();
  } finally {
    clearInterval(sampler);
    await lab.close();
    await pool.close();
  }
  return {
    learners: options.learners,
    minutes: options.minutes,
    templates: options.templates,
    lesson: BENCH_LESSON,
    seed,
    cycles: bench.cycles,
    run_ms_p50: quantile(bench.runMs, 0.5),
    run_ms_p95: quantile(bench.runMs, 0.95),
    check_ms_p50: quantile(bench.checkMs, 0.5),
    check_ms_p95: quantile(bench.checkMs, 0.95),
    failures: bench.failures,
    failure_reasons: bench.reasons,
    sandboxes: started.length,
    sandboxes_from_template: started.filter((s) => s.startedFrom === 'template').length,
    sandboxes_peak: sandboxesPeak,
    sandbox_ready_ms_p50: quantile(bench.readyMs, 0.5),
    sandbox_ready_ms_p95: quantile(bench.readyMs, 0.95),
    host_cpus: cpus().length,
    host_cpu_pct: cpuPercent(cpuStart, cpuEnd),
    host_mem_total_mb: memStart.totalMb,
    host_mem_used_mb_start: memStart.usedMb,
    host_mem_used_mb_peak: memPeak,
    duration_s: Math.round((endedAt - startedAt) / 1000),
    samples: { run_ms: bench.runMs, check_ms: bench.checkMs },
  };
}

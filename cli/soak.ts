/**
 * `ebpf-lab bench --soak N`: does a sandbox hold up over a long session? One learner's tab,
 * driven over the lab server's real WebSocket (the server runs in this process), presses Run N
 * times in one sandbox: run hello world, type `ls /` in the shell, wait for the first trace line,
 * stop. Reports failures, Run latency (request to first trace line: median, p95, max), and the
 * resident memory of the server and of the sandbox's qemu at the start (after the first Run),
 * after 50 Runs, and at the end.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../runner/paths.js';
import { SandboxPool } from '../runner/sandbox/pool.js';
import { QemuSandboxDriver } from '../runner/sandbox/qemu.js';
import { ownResidentMiB, residentMiB } from '../runner/sandbox/resident-memory.js';
import { startBenchLab } from './bench-lab.js';
import { quantile } from './stats.js';
import { pressRun, pressStop, sandboxReady, TabClient } from './tab-client.js';

const RUN_TIMEOUT_MS = 120_000;
const STEADY_AFTER_RUNS = 50;

export interface MemoryPoints {
  start: number;
  /** After the first 50 Runs (the goal: the end within 10 % of it); absent for shorter soaks. */
  after50?: number;
  end: number;
}

export interface SoakResult {
  runs: number;
  failures: number;
  /** The first few failures, in words. */
  failureReasons: string[];
  run_ms_median: number;
  run_ms_p95: number;
  run_ms_max: number;
  server_rss_mib: MemoryPoints;
  sandbox_rss_mib: MemoryPoints;
  total_s: number;
}

export async function runSoak(
  runs: number,
  report: (text: string) => void = () => {},
): Promise<SoakResult> {
  const source = await readFile(join(PACKAGE_ROOT, 'content', 'guide', 'hello_world.c'), 'utf8');
  const pool = new SandboxPool(new QemuSandboxDriver(), 0);
  const lab = await startBenchLab(pool);
  const started = performance.now();
  try {
    const tab = await TabClient.open(lab.url);
    report('booting a sandbox');
    await sandboxReady(tab, report);
    const sandboxRss = () => residentMiB(lab.server.registry.sandboxPids()[0]) ?? Number.NaN;
    const latencies: number[] = [];
    const failureReasons: string[] = [];
    let failures = 0;
    const server: Partial<MemoryPoints> = {};
    const sandbox: Partial<MemoryPoints> = {};
    for (let i = 1; i <= runs; i++) {
      try {
        latencies.push(
          await pressRun(tab, {
            source,
            attach: [{ kind: 'kprobe', target: 'clone' }],
            compileAhead: false,
            trigger: 'ls / >/dev/null',
            expect: 'Hello World',
            timeoutMs: RUN_TIMEOUT_MS,
          }),
        );
      } catch (error) {
        failures++;
        if (failureReasons.length < 5) failureReasons.push(`run ${i}: ${(error as Error).message}`);
      }
      await pressStop(tab, RUN_TIMEOUT_MS);
      if (i === 1) {
        server.start = ownResidentMiB();
        sandbox.start = sandboxRss();
      }
      if (i === STEADY_AFTER_RUNS) {
        server.after50 = ownResidentMiB();
        sandbox.after50 = sandboxRss();
      }
      if (i % 10 === 0 || i === runs) {
        report(
          `${i}/${runs} runs, ${failures} failed, last ${latencies.at(-1) ?? '-'} ms; ` +
            `server ${ownResidentMiB()} MiB, sandbox ${sandboxRss()} MiB`,
        );
      }
    }
    server.end = ownResidentMiB();
    sandbox.end = sandboxRss();
    tab.close();
    return {
      runs,
      failures,
      failureReasons,
      run_ms_median: quantile(latencies, 0.5),
      run_ms_p95: quantile(latencies, 0.95),
      run_ms_max: latencies.length ? Math.max(...latencies) : Number.NaN,
      server_rss_mib: server as MemoryPoints,
      sandbox_rss_mib: sandbox as MemoryPoints,
      total_s: Math.round((performance.now() - started) / 1000),
    };
  } finally {
    await lab.close();
    await pool.close();
  }
}

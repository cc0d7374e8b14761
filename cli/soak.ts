/**
 * `ebpf-lab bench --soak N`: does a sandbox hold up over a long session? One learner's tab,
 * driven over the lab server's real WebSocket (the server runs in this process), presses Run N
 * times in one sandbox: run hello world, type `ls /` in the shell, wait for the first trace line,
 * stop. Reports failures, Run latency (request to first trace line: median, p95, max), and the
 * resident memory of the server and of the sandbox's qemu at the start (after the first Run),
 * after 50 Runs, and at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { resolveConfig } from '../app/server/config.js';
import { startLabServer } from '../app/server/server.js';
import type { ClientMessage, ServerMessage } from '../app/shared/protocol.js';
import { PACKAGE_ROOT } from '../runner/paths.js';
import { SandboxPool } from '../runner/sandbox/pool.js';
import { QemuSandboxDriver } from '../runner/sandbox/qemu.js';
import { ownResidentMiB, residentMiB } from '../runner/sandbox/resident-memory.js';

const RUN_TIMEOUT_MS = 120_000;
const STEADY_AFTER_RUNS = 50;
const BOOT_ATTEMPTS = 3;

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

/** The value at `q` (0..1) of the sorted samples, nearest rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** A lab tab reduced to what a soak needs. */
class SoakTab {
  private readonly waiters = new Set<() => void>();
  status = '';
  /** Trace messages that held a Hello World line, since the tab opened. */
  hellos = 0;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      if (message.type === 'status') this.status = `${message.phase}: ${message.text}`;
      if (message.type === 'trace') {
        if (message.data.includes('Hello World')) this.hellos++;
        this.send({ type: 'ack', stream: 'trace', bytes: message.data.length });
      }
      if (message.type === 'shell-output')
        this.send({ type: 'ack', stream: 'shell', bytes: message.data.length });
      for (const wake of [...this.waiters]) wake();
    });
  }

  static open(url: string, cookie: string): Promise<SoakTab> {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, {
      headers: { cookie, origin: url },
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new SoakTab(socket)));
      socket.once('error', reject);
    });
  }

  send(message: ClientMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  until(predicate: () => boolean, what: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs / 1000} s (status "${this.status}")`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.socket.close();
  }
}

export async function runSoak(
  runs: number,
  report: (text: string) => void = () => {},
): Promise<SoakResult> {
  const source = await readFile(join(PACKAGE_ROOT, 'content', 'guide', 'hello_world.c'), 'utf8');
  const dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-soak-'));
  const pool = new SandboxPool(new QemuSandboxDriver(), 0);
  const lab = await startLabServer(
    resolveConfig({ port: 0, host: '127.0.0.1', dataDir, warmSandboxes: 0 }),
    pool,
  );
  const started = performance.now();
  try {
    const res = await fetch(`${lab.url}/api/course`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const tab = await SoakTab.open(lab.url, cookie);
    report('booting a sandbox');
    // A boot that fails (a busy machine) is retried, as a learner typing in the shell would.
    for (let attempt = 1; ; attempt++) {
      await tab.until(() => /^(ready|error)/.test(tab.status), 'ready sandbox', RUN_TIMEOUT_MS);
      if (tab.status.startsWith('ready')) break;
      if (attempt === BOOT_ATTEMPTS) throw new Error(`no sandbox: ${tab.status}`);
      report(`${tab.status.split('\n')[0]}; trying again`);
      tab.status = '';
      tab.send({ type: 'shell-input', data: '\r' });
    }
    const sandboxRss = () => residentMiB(lab.registry.sandboxPids()[0]) ?? Number.NaN;
    const latencies: number[] = [];
    const failureReasons: string[] = [];
    let failures = 0;
    const server: Partial<MemoryPoints> = {};
    const sandbox: Partial<MemoryPoints> = {};
    for (let i = 1; i <= runs; i++) {
      const t0 = performance.now();
      const seen = tab.hellos;
      try {
        tab.send({ type: 'run', source, attach: [{ kind: 'kprobe', target: 'clone' }] });
        await tab.until(() => tab.status.startsWith('attached'), 'attach', RUN_TIMEOUT_MS);
        tab.send({ type: 'shell-input', data: 'ls / >/dev/null\r' });
        await tab.until(() => tab.hellos > seen, 'Hello World line', RUN_TIMEOUT_MS);
        latencies.push(Math.round(performance.now() - t0));
      } catch (error) {
        failures++;
        if (failureReasons.length < 5) failureReasons.push(`run ${i}: ${(error as Error).message}`);
      }
      tab.send({ type: 'stop' });
      await tab
        .until(() => !tab.status.startsWith('attached'), 'stop', RUN_TIMEOUT_MS)
        .catch(() => {}); // a stop that never came shows as the next run's failure
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
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * `ebpf-lab bench --neighbour`: what one learner's busy loop costs another. A victim sandbox
 * runs the guide's probe again and again (Run → first trace line, warm) while a neighbour
 * sandbox burns both of its vCPUs — first with no host CPU cap (how the lab was before), then
 * with the cap every sandbox gets (runner/limits.ts, sandboxHostCpus) — and alone, for scale.
 * It also reports how many host cores the neighbour took in each case.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LIMITS } from '../runner/limits.js';
import { PACKAGE_ROOT } from '../runner/paths.js';
import { startBusyLoops } from '../runner/sandbox/busy-loops.js';
import { processCpuSeconds } from '../runner/sandbox/process-cpu.js';
import { QemuSandboxDriver } from '../runner/sandbox/qemu.js';
import type { Sandbox } from '../runner/sandbox/sandbox.js';
import { timeToFirstLine } from './bench.js';
import { median } from './stats.js';

export interface NeighbourBenchResult {
  runs: number;
  host_cpus_per_sandbox: number;
  victim_run_ms_median_alone: number;
  victim_run_ms_median_uncapped_neighbour: number;
  victim_run_ms_median_capped_neighbour: number;
  neighbour_host_cores_uncapped: number;
  neighbour_host_cores_capped: number;
  samples: { alone: number[]; uncapped: number[]; capped: number[] };
}

async function victimRuns(victim: Sandbox, source: string, runs: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await timeToFirstLine(victim, source));
  return samples;
}

/** The victim's runs while a neighbour (capped at `hostCpus`, or not) burns both vCPUs. */
async function withBurningNeighbour(
  victim: Sandbox,
  source: string,
  runs: number,
  hostCpus: number | null,
): Promise<{ samples: number[]; cores: number }> {
  const neighbour = await new QemuSandboxDriver({ hostCpus }).start();
  try {
    await startBusyLoops(neighbour.agent, 2);
    const pid = neighbour.pid as number;
    const before = processCpuSeconds(pid);
    const started = performance.now();
    const samples = await victimRuns(victim, source, runs);
    const cores = (processCpuSeconds(pid) - before) / ((performance.now() - started) / 1000);
    return { samples, cores: Number(cores.toFixed(2)) };
  } finally {
    await neighbour.stop();
  }
}

export async function runNeighbourBench(
  runs: number,
  report: (text: string) => void = () => {},
): Promise<NeighbourBenchResult> {
  const source = await readFile(join(PACKAGE_ROOT, 'content', 'guide', 'hello_world.c'), 'utf8');
  report('booting the victim sandbox');
  const victim = await new QemuSandboxDriver().start({ onProgress: report });
  try {
    await timeToFirstLine(victim, source); // compiled and cached: every later run is warm
    const alone = await victimRuns(victim, source, runs);
    report(`alone: median ${median(alone)} ms`);
    const uncapped = await withBurningNeighbour(victim, source, runs, null);
    report(`uncapped neighbour (${uncapped.cores} cores): median ${median(uncapped.samples)} ms`);
    const cap = LIMITS.sandboxHostCpus.value;
    const capped = await withBurningNeighbour(victim, source, runs, cap);
    report(`capped neighbour (${capped.cores} cores): median ${median(capped.samples)} ms`);
    return {
      runs,
      host_cpus_per_sandbox: cap,
      victim_run_ms_median_alone: median(alone),
      victim_run_ms_median_uncapped_neighbour: median(uncapped.samples),
      victim_run_ms_median_capped_neighbour: median(capped.samples),
      neighbour_host_cores_uncapped: uncapped.cores,
      neighbour_host_cores_capped: capped.cores,
      samples: { alone, uncapped: uncapped.samples, capped: capped.samples },
    };
  } finally {
    await victim.stop();
  }
}

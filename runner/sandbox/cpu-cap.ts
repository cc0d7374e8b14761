/**
 * A host-side CPU bound per sandbox, so one learner's `while :; do :; done` on both vCPUs costs
 * the others a fair share only. Each sandbox's qemu goes into its own cgroup under `ebpf-lab/`
 * with a quota of `cores` host CPUs and the same weight as every other sandbox: the kernel
 * then shares the host fairly among the learners who want CPU, and none can take more than
 * its quota even when the others are idle.
 *
 * cgroup v2 (`cpu.max`, `cpu.weight`) where the unified hierarchy has the cpu controller, else
 * cgroup v1's cpu controller (`cpu.cfs_quota_us`, `cpu.shares`). Where neither is writable (not
 * root, a container without cgroup access) the sandbox runs uncapped and `reason` says why.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The CFS period: quotas are expressed per 100 ms. */
const PERIOD_US = 100_000;
/** Every sandbox gets the same weight; these are the kernels' defaults. */
const V2_WEIGHT = 100;
const V1_SHARES = 1024;
/**
 * The `ebpf-lab` group competes with the host's own tasks as one: at the default weight all
 * sandboxes together would get no more than a single busy host process. Four times that lets
 * them have the machine while the lab server keeps a fifth of a core when everything is busy.
 */
const PARENT_WEIGHT_FACTOR = 4;
/**
 * While a learner waits on a sandbox (a Run attaching, Check), its weight is this many times
 * the others': on a host where every sandbox wants CPU (a class arriving, all compiling), the
 * one whose learner is waiting still gets about half of it. The quota still bounds it.
 */
export const FAVOUR_FACTOR = 8;
const GROUP = 'ebpf-lab';

export interface CpuCapLayout {
  kind: 'v2' | 'v1';
  /** The directory of the cgroup file system that holds the cpu controller. */
  root: string;
}

/** Finds where the cpu controller can be used, or says why it cannot. */
export function findCpuController(
  cgroupRoot = '/sys/fs/cgroup',
): CpuCapLayout | { reason: string } {
  const controllers = join(cgroupRoot, 'cgroup.controllers');
  if (existsSync(controllers)) {
    if (readFileSync(controllers, 'utf8').split(/\s+/).includes('cpu')) {
      return { kind: 'v2', root: cgroupRoot };
    }
    return { reason: 'the cgroup v2 hierarchy has no cpu controller' };
  }
  if (existsSync(join(cgroupRoot, 'cpu', 'cpu.cfs_quota_us'))) {
    return { kind: 'v1', root: join(cgroupRoot, 'cpu') };
  }
  return { reason: `no cpu cgroup controller under ${cgroupRoot}` };
}

/** The files to write, in order, to cap one sandbox: pure, so the policy is testable. */
export function cpuCapWrites(
  layout: CpuCapLayout,
  name: string,
  cores: number,
): { dirs: string[]; writes: [file: string, value: string][]; procs: string } {
  const parent = join(layout.root, GROUP);
  const dir = join(parent, name);
  const quota = String(Math.max(1000, Math.round(cores * PERIOD_US)));
  if (layout.kind === 'v2') {
    return {
      dirs: [parent, dir],
      writes: [
        // Controllers must be enabled top-down for the children to have cpu.* files.
        [join(layout.root, 'cgroup.subtree_control'), '+cpu'],
        [join(parent, 'cgroup.subtree_control'), '+cpu'],
        [join(parent, 'cpu.weight'), String(V2_WEIGHT * PARENT_WEIGHT_FACTOR)],
        [join(dir, 'cpu.max'), `${quota} ${PERIOD_US}`],
        [join(dir, 'cpu.weight'), String(V2_WEIGHT)],
      ],
      procs: join(dir, 'cgroup.procs'),
    };
  }
  return {
    dirs: [parent, dir],
    writes: [
      [join(parent, 'cpu.shares'), String(V1_SHARES * PARENT_WEIGHT_FACTOR)],
      [join(dir, 'cpu.cfs_period_us'), String(PERIOD_US)],
      [join(dir, 'cpu.cfs_quota_us'), quota],
      [join(dir, 'cpu.shares'), String(V1_SHARES)],
    ],
    procs: join(dir, 'cgroup.procs'),
  };
}

/** The weight file of a sandbox's group and what to write in it, favoured or not: pure. */
export function cpuWeightWrite(
  layout: CpuCapLayout,
  name: string,
  favoured: boolean,
): [file: string, value: string] {
  const dir = join(layout.root, GROUP, name);
  const factor = favoured ? FAVOUR_FACTOR : 1;
  return layout.kind === 'v2'
    ? [join(dir, 'cpu.weight'), String(V2_WEIGHT * factor)]
    : [join(dir, 'cpu.shares'), String(V1_SHARES * factor)];
}

export interface CpuCap {
  /** Whether the process is capped; when not, `reason` says why. */
  readonly applied: boolean;
  readonly reason: string;
  /**
   * Raises the sandbox's share of the host while a learner waits on it, until the returned
   * function is called (once; later calls do nothing). Overlapping waits nest.
   */
  favour(): () => void;
  /** Removes the sandbox's cgroup once its process has exited. */
  remove(): void;
}

/** For a process that could not be capped: favouring it changes nothing. */
export function uncappedCpu(reason: string): CpuCap {
  return { applied: false, reason, favour: () => () => {}, remove: () => {} };
}

/** Puts `pid` in a cgroup of its own capped at `cores` host CPUs; never throws. */
export function capCpu(
  pid: number | undefined,
  name: string,
  cores: number,
  cgroupRoot = '/sys/fs/cgroup',
): CpuCap {
  if (pid === undefined) return uncappedCpu('the process did not start');
  const layout = findCpuController(cgroupRoot);
  if ('reason' in layout) return uncappedCpu(layout.reason);
  const plan = cpuCapWrites(layout, name, cores);
  const dir = plan.dirs.at(-1) as string;
  try {
    for (const d of plan.dirs) mkdirSync(d, { recursive: true });
    for (const [file, value] of plan.writes) writeFileSync(file, value);
    writeFileSync(plan.procs, String(pid));
  } catch (error) {
    removeGroup(dir);
    return uncappedCpu(`cannot use the cpu cgroup: ${(error as Error).message}`);
  }
  let waits = 0;
  const setFavoured = (favoured: boolean) => {
    try {
      writeFileSync(...cpuWeightWrite(layout, name, favoured));
    } catch {
      // The group is gone with its sandbox: there is nothing left to favour.
    }
  };
  return {
    applied: true,
    reason: `${cores} CPU (${layout.kind} ${dir})`,
    favour() {
      if (waits++ === 0) setFavoured(true);
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        if (--waits === 0) setFavoured(false);
      };
    },
    remove: () => removeGroup(dir),
  };
}

function removeGroup(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Gone already, or a process is still in it: an empty cgroup costs nothing, and the next
    // sandbox of the same name reuses it.
  }
}

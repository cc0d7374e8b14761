import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  capCpu,
  cpuCapWrites,
  cpuWeightWrite,
  FAVOUR_FACTOR,
  findCpuController,
} from './cpu-cap.js';

const roots: string[] = [];
function fakeCgroupRoot(kind: 'v2' | 'v1' | 'none'): string {
  const root = mkdtempSync(join(tmpdir(), 'cgroup-'));
  roots.push(root);
  if (kind === 'v2') writeFileSync(join(root, 'cgroup.controllers'), 'cpuset cpu io memory pids\n');
  if (kind === 'v1') {
    mkdirSync(join(root, 'cpu'));
    writeFileSync(join(root, 'cpu', 'cpu.cfs_quota_us'), '-1\n');
  }
  return root;
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('findCpuController', () => {
  it('prefers cgroup v2 with the cpu controller, else v1, else says why not', () => {
    const v2 = fakeCgroupRoot('v2');
    expect(findCpuController(v2)).toEqual({ kind: 'v2', root: v2 });
    const v1 = fakeCgroupRoot('v1');
    expect(findCpuController(v1)).toEqual({ kind: 'v1', root: join(v1, 'cpu') });
    expect(findCpuController(fakeCgroupRoot('none'))).toHaveProperty('reason');
  });
});

describe('cpuCapWrites', () => {
  it('caps v2 with cpu.max and an equal weight, enabling the controller top-down', () => {
    const plan = cpuCapWrites({ kind: 'v2', root: '/cg' }, 'sb1', 1);
    expect(plan.dirs).toEqual(['/cg/ebpf-lab', '/cg/ebpf-lab/sb1']);
    expect(plan.writes).toEqual([
      ['/cg/cgroup.subtree_control', '+cpu'],
      ['/cg/ebpf-lab/cgroup.subtree_control', '+cpu'],
      ['/cg/ebpf-lab/cpu.weight', '400'],
      ['/cg/ebpf-lab/sb1/cpu.max', '100000 100000'],
      ['/cg/ebpf-lab/sb1/cpu.weight', '100'],
    ]);
    expect(plan.procs).toBe('/cg/ebpf-lab/sb1/cgroup.procs');
  });

  it('caps v1 with a CFS quota and equal shares; fractions of a CPU work', () => {
    const plan = cpuCapWrites({ kind: 'v1', root: '/cg/cpu' }, 'sb2', 0.5);
    expect(plan.writes).toEqual([
      ['/cg/cpu/ebpf-lab/cpu.shares', '4096'],
      ['/cg/cpu/ebpf-lab/sb2/cpu.cfs_period_us', '100000'],
      ['/cg/cpu/ebpf-lab/sb2/cpu.cfs_quota_us', '50000'],
      ['/cg/cpu/ebpf-lab/sb2/cpu.shares', '1024'],
    ]);
  });
});

describe('capCpu', () => {
  it('runs uncapped, saying why, where there is no cpu controller', () => {
    const cap = capCpu(process.pid, 'sb', 1, fakeCgroupRoot('none'));
    expect(cap.applied).toBe(false);
    expect(cap.reason).toContain('no cpu cgroup controller');
  });

  it('writes the plan and the pid (a fake v1 tree), and removes the group', () => {
    const root = fakeCgroupRoot('v1');
    const cap = capCpu(4242, 'sb3', 1, root);
    expect(cap.applied).toBe(true);
    const dir = join(root, 'cpu', 'ebpf-lab', 'sb3');
    expect(readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8')).toBe('100000');
    expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8')).toBe('4242');
  });

  it('favours the sandbox while a learner waits on it, nested waits until the last ends', () => {
    const root = fakeCgroupRoot('v1');
    const cap = capCpu(4243, 'sb4', 1, root);
    const shares = () => readFileSync(join(root, 'cpu', 'ebpf-lab', 'sb4', 'cpu.shares'), 'utf8');
    expect(shares()).toBe('1024');
    const endRun = cap.favour();
    const endCheck = cap.favour();
    expect(shares()).toBe(String(1024 * FAVOUR_FACTOR));
    endRun();
    endRun(); // a second call does nothing: the Check still waits
    expect(shares()).toBe(String(1024 * FAVOUR_FACTOR));
    endCheck();
    expect(shares()).toBe('1024');
  });
});

describe('cpuWeightWrite', () => {
  it('names the weight file of each cgroup version, favoured or not', () => {
    expect(cpuWeightWrite({ kind: 'v2', root: '/cg' }, 'sb', true)).toEqual([
      '/cg/ebpf-lab/sb/cpu.weight',
      String(100 * FAVOUR_FACTOR),
    ]);
    expect(cpuWeightWrite({ kind: 'v2', root: '/cg' }, 'sb', false)).toEqual([
      '/cg/ebpf-lab/sb/cpu.weight',
      '100',
    ]);
    expect(cpuWeightWrite({ kind: 'v1', root: '/cg/cpu' }, 'sb', false)).toEqual([
      '/cg/cpu/ebpf-lab/sb/cpu.shares',
      '1024',
    ]);
  });
});

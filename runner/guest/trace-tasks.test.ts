/**
 * trace_tasks.py names a trace line's task as it is called now where the kernel's saved name is
 * missing or one of the lab's, and tells the lab's lines from the learner's. The real Python,
 * reading this machine's /proc for processes the tests start under names of their choosing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB_TASKS } from '../protocol/lab-tasks.js';
import { runGuestPython } from './guest-python.js';

/** Reads {lines} on stdin, prints each line named by TraceTasks and whether it is the lab's. */
const PYTHON = `
from trace_tasks import TraceTasks
data = json.load(sys.stdin)
tasks = TraceTasks(data['labTasks'])
named = [tasks.name(line) for line in data['lines']]
json.dump([{'line': line, 'lab': tasks.is_lab(line)} for line in named], sys.stdout)
`;

type Named = { line: string; lab: boolean };

function nameLines(lines: string[]): Named[] {
  return runGuestPython(PYTHON, { labTasks: Object.values(LAB_TASKS), lines }) as Named[];
}

function nameLine(line: string): Named {
  const [named] = nameLines([line]);
  if (named === undefined) throw new Error('trace_tasks.py answered no line');
  return named;
}

/** A trace line as the kernel prints it: the task right-aligned in 16 columns. */
const traceLine = (task: string, pid: number | string) =>
  `${task.padStart(16)}-${pid}     [001] ...21   812.345678: bpf_trace_printk: write by x`;

const folder = mkdtempSync(join(tmpdir(), 'trace-tasks-'));
const running: ChildProcess[] = [];

/** A process whose name (comm) is `name`: a copy of sleep under that name. */
function processCalled(name: string): number {
  const binary = join(folder, name);
  copyFileSync('/bin/sleep', binary);
  const child = spawn(binary, ['60'], { stdio: 'ignore' });
  running.push(child);
  if (child.pid === undefined) throw new Error(`cannot start ${binary}`);
  return child.pid;
}

let sleeper: number;
let agent: number;
let gone: number;

beforeAll(async () => {
  sleeper = processCalled('sleep');
  agent = processCalled(LAB_TASKS.agent);
  const exited = spawn('true');
  await new Promise((resolve) => exited.on('exit', resolve));
  gone = exited.pid ?? 0;
});

afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

describe('trace_tasks.py: the task a trace line names', () => {
  it("renames a line under a lab name whose task is now called something else, and it is not the lab's", () => {
    const named = nameLine(traceLine(LAB_TASKS.agent, sleeper));
    expect(named.line).toBe(traceLine('sleep', sleeper));
    expect(named.lab).toBe(false);
  });

  it('names a task the kernel printed as <...>, keeping the column it aligns to', () => {
    const named = nameLine(traceLine('<...>', sleeper));
    expect(named.line).toBe(traceLine('sleep', sleeper));
    expect(named.line.indexOf(`-${sleeper} `)).toBe(16);
  });

  it("keeps a lab name its task still goes by, and the line is the lab's", () => {
    for (const task of [LAB_TASKS.agent, '<...>']) {
      const named = nameLine(traceLine(task, agent));
      expect(named.line).toBe(traceLine(LAB_TASKS.agent, agent));
      expect(named.lab).toBe(true);
    }
  });

  it("keeps the kernel's name of a task that is gone", () => {
    const lines = [traceLine(LAB_TASKS.worker, gone), traceLine('<...>', gone)];
    expect(nameLines(lines)).toEqual([
      { line: lines[0], lab: true },
      { line: lines[1], lab: false },
    ]);
  });

  it("leaves a learner's task name as the kernel has it, even when it is out of date", () => {
    const line = traceLine('bash', sleeper);
    expect(nameLines([line])).toEqual([{ line, lab: false }]);
  });

  it('leaves lines without a task alone', () => {
    const lines = ['CPU:1 [LOST 12 EVENTS]', '', 'write by ebpf-lab-agent'];
    expect(nameLines(lines)).toEqual(lines.map((line) => ({ line, lab: false })));
  });
});

/**
 * `ebpf-lab lessons check [DIR]` validates every lesson and runs every solution's checks in a
 * real sandbox; `ebpf-lab lessons new NAME` scaffolds a lesson an instructor can start from.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { runChecks } from '../app/checks/run-checks.js';
import type { Lesson } from '../app/lessons/schema.js';
import { commandNames, missingCommandsScript } from '../app/lessons/shell-commands.js';
import { glossaryAnchors, type LessonReport, validateCourse } from '../app/lessons/validate.js';
import { PACKAGE_ROOT } from '../runner/paths.js';
import { execInSandbox } from '../runner/sandbox/exec.js';
import { QemuSandboxDriver } from '../runner/sandbox/qemu.js';
import type { Sandbox } from '../runner/sandbox/sandbox.js';
import { progressLine } from './progress.js';
import { UsageError } from './usage.js';

export const LESSONS_USAGE = `Usage: ebpf-lab lessons check [DIR] [--no-run]
       ebpf-lab lessons new NAME [--dir DIR]

  check   Validate every lesson in DIR (default: the lessons/ folder): front matter, the
          files checks refer to, solutions that differ from their starters, todo= snippets
          that give the solution, links and images;
          then run every solution's checks in a real sandbox. Prints pass or fail per lesson
          with reasons and times; exits 1 if any lesson fails.
          --no-run   validate only, without a sandbox
  new     Create DIR/NN-NAME (the next number) with a lesson.md, a starter probe, a solution
          and one check, ready to edit.`;

const DEFAULT_DIR = join(PACKAGE_ROOT, 'lessons');
const GLOSSARY = join(PACKAGE_ROOT, 'content', 'glossary.md');

export async function lessonsCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'check') return checkCommand(rest);
  if (action === 'new') return newCommand(rest);
  throw new UsageError(LESSONS_USAGE);
}

async function checkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'no-run': { type: 'boolean' } },
  });
  const dir = positionals[0] ?? DEFAULT_DIR;
  const glossary = existsSync(GLOSSARY)
    ? glossaryAnchors(await readFile(GLOSSARY, 'utf8'))
    : new Set<string>();
  const reports = await validateCourse(dir, glossary);
  let failed = 0;
  let sandbox: Sandbox | undefined;
  try {
    for (const report of reports) {
      if (report.problems.length > 0 || !report.lesson) {
        failed++;
        printReport(report.id, false, report.problems, 0);
        continue;
      }
      if (values['no-run']) {
        printReport(report.id, true, ['valid (checks not run: --no-run)'], 0);
        continue;
      }
      if (!sandbox?.isAlive) {
        progressLine('lessons', 'booting a sandbox for the checks');
        sandbox = await new QemuSandboxDriver().start();
      }
      const ok = await checkSolution(sandbox, report);
      if (!ok) failed++;
    }
  } finally {
    await sandbox?.stop();
  }
  const total = reports.length;
  process.stdout.write(`${total - failed} of ${total} lessons passed\n`);
  return failed === 0 ? 0 : 1;
}

async function checkSolution(sandbox: Sandbox, report: LessonReport): Promise<boolean> {
  const lesson = report.lesson as Lesson;
  const files = Object.fromEntries(lesson.files.map((f) => [f.name, f.solution ?? f.starter]));
  const started = performance.now();
  const missing = await missingCommands(sandbox, lesson);
  const results = await runChecks({ sandbox, lesson, files, mode: 'author' });
  const ok = missing.length === 0 && results.every((r) => r.status === 'passed');
  const lines = results.map((r) => {
    const time = `${((r.durationMs ?? 0) / 1000).toFixed(1)} s`;
    const why = r.status === 'passed' ? '' : `: ${r.detail ?? r.hint ?? ''}`;
    return `${r.status === 'passed' ? 'pass' : 'FAIL'} ${r.title} (${time})${why}`;
  });
  printReport(report.id, ok, [...missing, ...lines], performance.now() - started);
  return ok;
}

/** The programs the lesson's shell blocks run that the sandbox does not have, as FAIL lines. */
async function missingCommands(sandbox: Sandbox, lesson: Lesson): Promise<string[]> {
  const md = join(lesson.dir, 'lesson.md');
  const names = commandNames(await readFile(md, 'utf8'));
  if (names.length === 0) return [];
  const result = await execInSandbox(
    sandbox.agent,
    missingCommandsScript(names.map((n) => n.name)),
    { timeoutMs: 30_000 },
  );
  if (result.code !== 0) {
    return [
      `FAIL the shell blocks' commands could not be looked up in the sandbox: ${result.stderr.trim()}`,
    ];
  }
  const missing = new Set(result.stdout.split('\n').filter(Boolean));
  return names
    .filter((n) => missing.has(n.name))
    .map(
      (n) =>
        `FAIL ${md} line ${n.line}: "${n.name}" is not a command in the sandbox (a typo, or a tool the guest image does not have)`,
    );
}

function printReport(id: string, ok: boolean, lines: string[], ms: number): void {
  const time = ms > 0 ? ` (${(ms / 1000).toFixed(1)} s)` : '';
  process.stdout.write(`${ok ? 'PASS' : 'FAIL'} ${id}${time}\n`);
  for (const line of lines) process.stdout.write(`     ${line}\n`);
}

async function newCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dir: { type: 'string' } },
  });
  const name = positionals[0];
  if (!name || !/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new UsageError(
      `a lesson NAME is lowercase letters, digits and dashes, e.g. open-files\n\n${LESSONS_USAGE}`,
    );
  }
  const dir = values.dir ?? DEFAULT_DIR;
  await mkdir(dir, { recursive: true });
  const numbers = (await readdir(dir)).map((entry) => Number(/^(\d+)-/.exec(entry)?.[1] ?? 0));
  const next = String(Math.max(0, ...numbers) + 1).padStart(2, '0');
  const lessonDir = join(dir, `${next}-${name}`);
  await mkdir(join(lessonDir, 'files'), { recursive: true });
  await mkdir(join(lessonDir, 'solution'), { recursive: true });
  const title = name.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase());
  await writeFile(join(lessonDir, 'lesson.md'), scaffoldMarkdown(title));
  await writeFile(join(lessonDir, 'files', 'probe.c'), STARTER);
  await writeFile(join(lessonDir, 'solution', 'probe.c'), SOLUTION);
  process.stdout.write(
    `created ${relative(process.cwd(), lessonDir) || lessonDir}: edit lesson.md, files/probe.c and solution/probe.c,\n` +
      `then run: ebpf-lab lessons check ${relative(process.cwd(), dir) || '.'}\n`,
  );
  return 0;
}

function scaffoldMarkdown(title: string): string {
  return `---
title: ${title}
summary: One sentence saying what the learner will do.
attach:
  - kind: kprobe
    target: openat
checks:
  - kind: trace
    title: Your probe sees a file being opened
    hint: Print a message with bpf_trace_printk in the probe, then press Run.
    trigger: cat /etc/hostname
    expect: opened
---

# ${title}

Say what the learner will learn, then what to do. Press **Run**, then try:

\`\`\`console
$ cat /etc/hostname
\`\`\`
`;
}

const STARTER = `int probe(void *ctx) {
    // TODO: print "opened" with bpf_trace_printk
    return 0;
}
`;

const SOLUTION = `int probe(void *ctx) {
    bpf_trace_printk("opened\\n");
    return 0;
}
`;

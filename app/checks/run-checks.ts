/**
 * A lesson's automatic checks, run in a sandbox against a set of files. Two callers:
 *
 *  - the Check button (`learner` mode): the learner's current files, their run history (for
 *    `verifier-then-pass`) and their shell's recent output (for `shell`);
 *  - `ebpf-lab lessons check` (`author` mode): the solution files, with the learner's actions
 *    simulated (the rejected file is run first; what a learner would type is run).
 *
 * Results stream out one by one, so the browser can show each check as it finishes.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dumpPrograms } from '../../runner/probe/bytecode.js';
import { prepareProbe } from '../../runner/probe/prepare.js';
import { ProbeRun, type ProbeRunEvent } from '../../runner/probe/probe-run.js';
import { execInSandbox } from '../../runner/sandbox/exec.js';
import { writeFiles, writeSandboxFile } from '../../runner/sandbox/files.js';
import type { Sandbox } from '../../runner/sandbox/sandbox.js';
import type { Lesson, LessonCheck } from '../lessons/schema.js';
import type { CheckResult } from '../shared/protocol.js';

/** What a learner's runs ended in, oldest first: `attached` or an error kind. */
export type RunOutcome =
  | 'attached'
  | 'compile'
  | 'verifier'
  | 'attach'
  | 'limit'
  | 'internal'
  | 'sandbox';

export interface CheckContext {
  sandbox: Sandbox;
  lesson: Lesson;
  files: Record<string, string>;
  mode: 'learner' | 'author';
  /** Learner mode: the outcomes of the learner's runs. */
  history?: readonly RunOutcome[];
  /** Learner mode: the sandbox shell's recent output. */
  shellOutput?: string;
  onResult?: (index: number, result: CheckResult) => void;
}

// Under software emulation a typed BCC script takes 10-25 s to compile before it prints.
const SHELL_CHECK_SECONDS = 45;
const SCRIPT_TIMEOUT_MS = 60_000;

/** The file a lesson's Run compiles: its first C file. */
export function probeFileName(lesson: Lesson): string | undefined {
  return lesson.files.find((f) => f.language === 'c')?.name;
}

export async function runChecks(ctx: CheckContext): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  await writeFiles(ctx.sandbox.agent, ctx.files);
  for (const [index, check] of ctx.lesson.meta.checks.entries()) {
    ctx.onResult?.(index, { title: check.title, status: 'running' });
    const started = performance.now();
    const word = `w${randomBytes(5).toString('hex')}`;
    let outcome: { passed: boolean; detail?: string };
    try {
      outcome = await runCheck(ctx, withRandom(check, word));
    } catch (error) {
      outcome = { passed: false, detail: `the check could not run: ${(error as Error).message}` };
    }
    const result: CheckResult = {
      title: check.title,
      status: outcome.passed ? 'passed' : 'failed',
      durationMs: Math.round(performance.now() - started),
    };
    if (!outcome.passed) result.hint = check.hint;
    if (outcome.detail) result.detail = outcome.detail;
    results.push(result);
    ctx.onResult?.(index, result);
  }
  return results;
}

/** `{random}` replaced by a fresh word in every text field of a check. */
function withRandom(check: LessonCheck, word: string): LessonCheck {
  const replaced: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(check)) {
    replaced[key] = typeof value === 'string' ? value.replaceAll('{random}', word) : value;
  }
  return replaced as LessonCheck;
}

async function runCheck(
  ctx: CheckContext,
  check: LessonCheck,
): Promise<{ passed: boolean; detail?: string }> {
  switch (check.kind) {
    case 'compiles':
      return compiles(ctx);
    case 'loaded':
      return loaded(ctx, check.program);
    case 'trace':
      return traced(ctx, check);
    case 'verifier-then-pass':
      return verifierThenPass(ctx, check.rejected);
    case 'shell':
      return ctx.mode === 'learner' ? shellSeen(ctx, check) : shellTyped(ctx, check);
    case 'script':
      return script(ctx, check.script);
  }
}

function probeSource(ctx: CheckContext): string {
  const name = probeFileName(ctx.lesson);
  const source = name === undefined ? undefined : ctx.files[name];
  if (source === undefined) throw new Error('this lesson has no C file to check');
  return source;
}

async function compiles(ctx: CheckContext) {
  // Loaded ahead as the lesson attaches it, so the checks' runs of the same source only attach.
  const result = await prepareProbe(ctx.sandbox.agent, probeSource(ctx), {
    attach: ctx.lesson.meta.attach,
  });
  if (!result.error) return { passed: true };
  const first = result.error.diagnostics.find((d) => d.severity === 'error');
  return {
    passed: false,
    detail: first ? `line ${first.line}: ${first.message}` : result.error.message,
  };
}

/** Runs the probe; `whileAttached` looks at the live run before it is stopped. */
async function withRun<T>(
  ctx: CheckContext,
  source: string,
  whileAttached: (run: ProbeRun, messages: string[]) => Promise<T>,
): Promise<{ attached: true; value: T } | { attached: false; detail: string }> {
  const messages: string[] = [];
  const run = ProbeRun.start(
    ctx.sandbox.agent,
    { source, attach: ctx.lesson.meta.attach },
    (event: ProbeRunEvent) => {
      if (event.type === 'trace') messages.push(event.parsed?.message ?? event.raw);
    },
  );
  try {
    await run.attached;
  } catch {
    const error = run.error;
    const line =
      error?.verifier?.line ?? error?.diagnostics.find((d) => d.severity === 'error')?.line;
    const where = line ? ` (line ${line})` : '';
    return { attached: false, detail: `${error?.message ?? 'the probe did not attach'}${where}` };
  }
  try {
    return { attached: true, value: await whileAttached(run, messages) };
  } finally {
    await run.stop();
  }
}

async function loaded(ctx: CheckContext, program: string) {
  const source = probeSource(ctx);
  const outcome = await withRun(ctx, source, async () => dumpPrograms(ctx.sandbox.agent, source));
  if (!outcome.attached) return { passed: false, detail: outcome.detail };
  const names = outcome.value.map((p) => p.name);
  if (names.includes(program)) return { passed: true };
  return {
    passed: false,
    detail: `loaded programs: ${names.join(', ') || 'none'}; none is named ${program}`,
  };
}

async function traced(ctx: CheckContext, check: Extract<LessonCheck, { kind: 'trace' }>) {
  const pattern = new RegExp(check.expect);
  const outcome = await withRun(ctx, probeSource(ctx), async (_run, messages) => {
    await execInSandbox(ctx.sandbox.agent, check.trigger, {
      timeoutMs: check.withinSeconds * 1000,
    });
    const deadline = Date.now() + check.withinSeconds * 1000;
    const count = () => messages.filter((m) => pattern.test(m)).length;
    while (count() < check.atLeast && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { matched: count(), total: messages.length, last: messages.at(-1) };
  });
  if (!outcome.attached) return { passed: false, detail: outcome.detail };
  const { matched, total, last } = outcome.value;
  if (matched >= check.atLeast) return { passed: true };
  const saw = total === 0 ? 'no trace lines at all' : `${total} trace line(s), the last: "${last}"`;
  return {
    passed: false,
    detail: `${matched} of ${check.atLeast} matching line(s) after \`${check.trigger}\`; saw ${saw}`,
  };
}

async function verifierThenPass(ctx: CheckContext, rejectedFile: string) {
  if (ctx.mode === 'learner') {
    const history = ctx.history ?? [];
    const rejectedAt = history.indexOf('verifier');
    if (rejectedAt < 0)
      return { passed: false, detail: 'no run of yours has been rejected by the verifier yet' };
    if (!history.slice(rejectedAt + 1).includes('attached')) {
      return { passed: false, detail: 'the verifier rejected a run; no run has passed since' };
    }
    return { passed: true };
  }
  const rejected = await readFile(join(ctx.lesson.dir, rejectedFile), 'utf8');
  const first = await withRun(ctx, rejected, async () => undefined);
  if (first.attached)
    return { passed: false, detail: `${rejectedFile} was not rejected by the verifier` };
  if (!/verifier/i.test(first.detail))
    return { passed: false, detail: `${rejectedFile}: ${first.detail}` };
  const second = await withRun(ctx, probeSource(ctx), async () => undefined);
  return second.attached ? { passed: true } : { passed: false, detail: second.detail };
}

async function isRunning(ctx: CheckContext, pattern: string): Promise<boolean> {
  // The pattern goes through a file, not the command line: no quoting to get wrong.
  await writeTmp(ctx, 'ebpf-lab-pattern', pattern);
  const result = await execInSandbox(
    ctx.sandbox.agent,
    'pgrep -f -- "$(cat /tmp/ebpf-lab-pattern)" >/dev/null',
  );
  return result.code === 0;
}

async function shellSeen(ctx: CheckContext, check: Extract<LessonCheck, { kind: 'shell' }>) {
  const output = stripAnsi(ctx.shellOutput ?? '');
  if (!new RegExp(check.expect).test(output)) {
    return { passed: false, detail: 'the sandbox shell has not shown the expected output yet' };
  }
  if (check.running && !(await isRunning(ctx, check.running))) {
    return {
      passed: false,
      detail: 'the expected output is there, but the program is no longer running',
    };
  }
  return { passed: true };
}

/** Author mode: run what the learner would type, on a terminal (so output is line-buffered). */
async function shellTyped(ctx: CheckContext, check: Extract<LessonCheck, { kind: 'shell' }>) {
  const agent = ctx.sandbox.agent;
  await writeTmp(ctx, 'ebpf-lab-typed.sh', check.typed);
  // In its own session (the agent kills the command's process group when it returns), and the
  // exec waits until `script` has created its log, i.e. has left that group.
  const start = await execInSandbox(
    agent,
    'cd /root && rm -f /tmp/ebpf-lab-typed.log && ' +
      '(setsid script -qfec "bash /tmp/ebpf-lab-typed.sh" /tmp/ebpf-lab-typed.log >/dev/null 2>&1 < /dev/null & echo $!) && ' +
      'for _ in $(seq 100); do [ -e /tmp/ebpf-lab-typed.log ] && break; sleep 0.05; done',
  );
  const pid = Number(start.stdout.trim());
  const pattern = new RegExp(check.expect);
  let log = '';
  try {
    const deadline = Date.now() + SHELL_CHECK_SECONDS * 1000;
    while (Date.now() < deadline) {
      // Forks as a learner's shell would make them: the typed program may be tracing clone.
      const read = await execInSandbox(
        agent,
        '/bin/true; /bin/true; cat /tmp/ebpf-lab-typed.log 2>/dev/null',
      );
      log = stripAnsi(read.stdout);
      if (pattern.test(log)) break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    if (!pattern.test(log)) {
      return {
        passed: false,
        detail: `\`${check.typed}\` printed: ${lastLines(log) || '(nothing)'}`,
      };
    }
    if (check.running && !(await isRunning(ctx, check.running))) {
      return {
        passed: false,
        detail: `nothing matching /${check.running}/ was running after \`${check.typed}\``,
      };
    }
    return { passed: true };
  } finally {
    if (pid > 0) await execInSandbox(agent, `kill -KILL -- -${pid} 2>/dev/null; true`);
  }
}

async function script(ctx: CheckContext, text: string) {
  await writeTmp(ctx, 'ebpf-lab-check.sh', text);
  const result = await execInSandbox(ctx.sandbox.agent, 'cd /root && bash /tmp/ebpf-lab-check.sh', {
    timeoutMs: SCRIPT_TIMEOUT_MS,
  });
  if (result.code === 0) return { passed: true };
  const how = result.timedOut
    ? `timed out after ${SCRIPT_TIMEOUT_MS / 1000} s`
    : `exit ${result.code ?? result.signal}`;
  return {
    passed: false,
    detail: `${how}: ${lastLines(result.stdout + result.stderr) || '(no output)'}`,
  };
}

function writeTmp(ctx: CheckContext, name: string, text: string): Promise<void> {
  return writeSandboxFile(ctx.sandbox.agent, `/tmp/${name}`, text);
}

function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are the point.
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

function lastLines(text: string, count = 3): string {
  return text.trim().split('\n').slice(-count).join(' | ').slice(0, 400);
}

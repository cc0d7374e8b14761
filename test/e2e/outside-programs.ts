/**
 * Material from outside the course, run unchanged in a real sandbox as a learner runs it from the
 * shell: BCC's tutorial examples (kept in the image under their doc folder) and the `*-bpfcc`
 * tools the image ships. Each program is bounded in time, poked by a trigger, and judged by what
 * it printed.
 */
import { randomUUID } from 'node:crypto';
import { execInSandbox } from '../../runner/sandbox/exec.js';
import type { Sandbox } from '../../runner/sandbox/sandbox.js';

export const BCC_EXAMPLES = '/usr/share/doc/bpfcc-tools/examples';

export interface OutsideProgram {
  /** How the learner would name it: `tracing/bitehist.py`, `biolatency-bpfcc`. */
  name: string;
  /** The command, run from `cwd` as typed in the shell. */
  command: string;
  cwd: string;
  /** Run repeatedly (about once a second) until `ready` shows, then a few more times. */
  trigger: string;
  /** Printed once the program is attached (its header), or its first event. */
  ready: RegExp;
  /** What the finished output must show. */
  expect: RegExp;
  /** Upper bound for the whole program, compile included: under emulation 20-200 s. */
  timeoutSeconds: number;
  /**
   * Given a duration, the program ends by itself: keep triggering until it does, never Ctrl-C
   * (profile prints its header before compiling, so its header says nothing of being ready).
   */
  endsByItself?: boolean;
}

export interface OutsideRun {
  output: string;
  /** The program's exit code; null when a signal ended it. */
  code: number | null;
  /** Seconds from start until `ready` showed, or undefined when it never did. */
  readySeconds: number | undefined;
  seconds: number;
}

/** Where the running program's shell leaves its pid, so the host can send it Ctrl-C. */
const PID_FILE = '/tmp/outside-program.pid';
/** Triggers after `ready`: enough for sampling and per-second tools to have something to show. */
const TRIGGERS_AFTER_READY = 3;

/**
 * Runs `program` as a learner would: start it, poke it with its trigger until it is ready, poke a
 * few more times (or until it ends, if it ends by itself), then Ctrl-C (SIGINT: BCC's tools print their summary on it). `timeout -s INT`
 * bounds it the same way; `--foreground`, or timeout would also signal its whole process group
 * and the program would get a second SIGINT while printing its summary (a KeyboardInterrupt
 * traceback in place of biolatency's histogram).
 */
export async function runOutsideProgram(
  sandbox: Sandbox,
  program: OutsideProgram,
): Promise<OutsideRun> {
  const started = Date.now();
  let output = '';
  // Python buffers a pipe's output until it exits; unbuffered, nothing is lost to the bound.
  const command =
    `cd ${program.cwd} && echo $$ > ${PID_FILE} && PYTHONUNBUFFERED=1 ` +
    `exec timeout --foreground -s INT -k 10 ${program.timeoutSeconds} ${program.command}`;
  const finished = execInSandbox(sandbox.agent, command, {
    timeoutMs: (program.timeoutSeconds + 30) * 1000,
    onOutput: (_stream, text) => {
      output += text;
    },
  });
  let done = false;
  // Both ways: the rejection itself surfaces at `await finished` below.
  finished.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  const trigger = () => execInSandbox(sandbox.agent, program.trigger, { timeoutMs: 30_000 });
  const pause = () => new Promise((resolve) => setTimeout(resolve, 1000));

  while (!done && !program.ready.test(output)) {
    await trigger();
    await pause();
  }
  const readySeconds = program.ready.test(output) ? (Date.now() - started) / 1000 : undefined;
  for (let i = 0; !done && (program.endsByItself || i < TRIGGERS_AFTER_READY); i++) {
    await trigger();
    await pause();
  }
  if (!done) await execInSandbox(sandbox.agent, `kill -INT $(cat ${PID_FILE})`);
  const result = await finished;
  return { output, code: result.code, readySeconds, seconds: (Date.now() - started) / 1000 };
}

/** The failure message for a program whose output did not show what it should. */
export function describeRun(program: OutsideProgram, run: OutsideRun): string {
  const tail = run.output.length > 3000 ? `...${run.output.slice(-3000)}` : run.output;
  const ready =
    run.readySeconds === undefined ? 'never showed' : `showed after ${run.readySeconds} s`;
  return (
    `${program.name} (\`${program.command}\` in ${program.cwd}, trigger \`${program.trigger}\`): ` +
    `expected output matching ${program.expect}; ${program.ready} ${ready}; exit code ` +
    `${run.code} after ${run.seconds} s. It printed:\n${tail}`
  );
}

/** A command sent to the sandbox never came back: its agent, or its kernel, stopped answering. */
export function isUnanswered(error: unknown): boolean {
  return error instanceof Error && /^no exec-exit from the agent/.test(error.message);
}

/**
 * What state a sandbox that stopped answering commands is in, for the log: whether its agent
 * still says it lives (heartbeats, every 2 s), whether it answers a ping, and the guest's last
 * console lines (a kernel warning or oops shows there).
 */
export async function describeUnanswering(sandbox: Sandbox): Promise<string> {
  const beats = sandbox.agent
    .waitFor('heartbeat', () => true, 6_000)
    .then(
      () => 'heartbeats arrive',
      () => 'no heartbeat in 6 s',
    );
  const id = randomUUID();
  const started = Date.now();
  const pong = sandbox.agent
    .waitFor('pong', (m) => m.id === id, 10_000)
    .then(
      () => `ping answered in ${Date.now() - started} ms`,
      () => 'no pong in 10 s',
    );
  sandbox.agent.send({ type: 'ping', id });
  const qemu = sandbox as Sandbox & { console?: string };
  return (
    `sandbox alive: ${sandbox.isAlive}; ${await beats}; ${await pong}; guest console:\n` +
    (qemu.console ?? '(none)')
  );
}

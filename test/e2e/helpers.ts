/** Shared by the real-sandbox tests: run a probe to completion and collect what it produced. */

import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import {
  type ProbeError,
  ProbeRun,
  type ProbeRunEvent,
  type ProbeRunRequest,
  type StopReason,
} from '../../runner/probe/probe-run.js';
import { execInSandbox } from '../../runner/sandbox/exec.js';
import type { Sandbox } from '../../runner/sandbox/sandbox.js';

/**
 * The sandbox capacity of the labs the tests start: fixed, because the server's default comes
 * from the machine (app/server/capacity.ts), and a test whose learners come and go faster than
 * their slots free up (a closed tab keeps its sandbox a minute) must not wait in line on a
 * smaller one. The tests of the line itself set their own.
 */
export const TEST_CAPACITY = 8;

export const HELLO_WORLD = `int hello_world(void *ctx) {
    bpf_trace_printk("Hello World!! \\n");
    return 0;
}
`;

/** The small course the server tests serve (two lessons). */
export const FIXTURE_COURSE = join(PACKAGE_ROOT, 'test', 'fixtures', 'course');

/** A tab's `run` message for the guide's hello world on kprobe:clone. */
export const HELLO_RUN = {
  type: 'run',
  source: HELLO_WORLD,
  attach: [{ kind: 'kprobe', target: 'clone' }],
};

export interface RunOutcome {
  events: ProbeRunEvent[];
  messages: string[];
  error: ProbeError | undefined;
  reason: StopReason;
}

/**
 * Starts a run; once attached, runs `trigger` (if any), waits until `until` sees the trace
 * messages it wants (or `settleMs` passes), then stops. Runs that fail before attaching
 * resolve with their error.
 */
export async function runProbe(
  sandbox: Sandbox,
  request: ProbeRunRequest,
  options: { trigger?: string; until?: (messages: string[]) => boolean; settleMs?: number } = {},
): Promise<RunOutcome> {
  const events: ProbeRunEvent[] = [];
  const messages: string[] = [];
  let wake: () => void = () => {};
  const run = ProbeRun.start(sandbox.agent, request, (event) => {
    events.push(event);
    if (event.type === 'trace') messages.push(event.parsed?.message ?? event.raw);
    wake();
  });
  try {
    await run.attached;
  } catch {
    return { events, messages, error: run.error, reason: await run.done };
  }
  if (options.trigger) await execInSandbox(sandbox.agent, options.trigger);
  const deadline = Date.now() + (options.settleMs ?? 10_000);
  while (!run.isFinished && Date.now() < deadline && !options.until?.(messages)) {
    await new Promise<void>((resolve) => {
      wake = resolve;
      setTimeout(resolve, 100);
    });
  }
  const reason = await run.stop();
  return { events, messages, error: run.error, reason };
}

/**
 * The browser's Run, for `ebpf-lab bench` (`browser_run_ms_median`): a tab of a real lab server
 * (this process, 127.0.0.1) compiles a new source ahead as the page does while the learner
 * types, waits for its answer, then presses Run, types `ls` in the shell and waits for the first
 * trace line. The lab's sandbox is the bench's own booted one, lent to it: the CLI's warm Run
 * and the browser's run in the same sandbox, round by round, so their ratio is what the web path
 * adds and nothing else.
 */
import type { Sandbox } from '../runner/sandbox/sandbox.js';
import { startBenchLab } from './bench-lab.js';
import { BENCH_LESSON, PROBE_FILE } from './learner-model.js';
import { pressRun, pressStop, sandboxReady, TabClient } from './tab-client.js';

const RUN_TIMEOUT_MS = 120_000;

export interface BrowserRuns {
  /** One Run of a source compiled ahead; ms from Run to the first trace line. */
  run(round: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * `sandbox` as the lab sees it, except that the lab cannot stop it: the bench owns it, and goes on
 * using it after the lab has closed.
 */
function lent(sandbox: Sandbox): Sandbox {
  return {
    mode: sandbox.mode,
    agent: sandbox.agent,
    kernel: sandbox.kernel,
    tools: sandbox.tools,
    bootMs: sandbox.bootMs,
    startedFrom: sandbox.startedFrom,
    pid: sandbox.pid,
    exited: sandbox.exited,
    get isAlive() {
      return sandbox.isAlive;
    },
    stop: async () => {},
  };
}

export async function startBrowserRuns(
  sandbox: Sandbox,
  source: string,
  report: (text: string) => void,
): Promise<BrowserRuns> {
  const lab = await startBenchLab({ acquire: async () => lent(sandbox) });
  try {
    const tab = await TabClient.open(lab.url);
    tab.send({ type: 'view', lessonId: BENCH_LESSON });
    await sandboxReady(tab, report);
    return {
      async run(round) {
        // A comment makes the text new: the compile-ahead compiles it, and the Run reuses that.
        const text = `// bench browser round ${round} ${Date.now()}\n${source}`;
        try {
          return await pressRun(tab, {
            source: text,
            attach: [{ kind: 'kprobe', target: 'clone' }],
            lessonId: BENCH_LESSON,
            files: { [PROBE_FILE]: text },
            compileAhead: true,
            trigger: 'ls',
            expect: 'Hello World',
            timeoutMs: RUN_TIMEOUT_MS,
          });
        } finally {
          // The CLI's next run reads the same trace_pipe: nothing of the lab's may stay attached.
          await pressStop(tab, RUN_TIMEOUT_MS);
        }
      },
      async close() {
        tab.close();
        await lab.close();
      },
    };
  } catch (error) {
    await lab.close();
    throw error;
  }
}

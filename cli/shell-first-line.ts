/**
 * A BCC script run from the sandbox shell, as a learner types it: the tutorial's own
 * `hello_world.py` (Debian ships it under the BCC tools' doc folder, kept in the image), typed
 * into a real shell on a TTY, timed from the Enter key to its first trace line. Unlike the lab's
 * Run, nothing is warm for it: a fresh Python imports BCC, clang compiles, BCC looks the
 * syscall's kernel name up in kallsyms, then attaches.
 */
import { randomUUID } from 'node:crypto';
import { execInSandbox } from '../runner/sandbox/exec.js';
import type { Sandbox } from '../runner/sandbox/sandbox.js';

export const TUTORIAL_HELLO_WORLD = '/usr/share/doc/bpfcc-tools/examples/hello_world.py';
/** What the tutorial's hello world prints (its message is not the guide's). */
const TUTORIAL_LINE = /bpf_trace_printk: Hello, World!/;
const PROMPT_TIMEOUT_MS = 30_000;

/**
 * Types `python3 hello_world.py` into a new shell and resolves with the milliseconds from the
 * Enter key to its first trace line; forks meanwhile (the probe is on clone) from outside the
 * shell, as another terminal would. Ctrl+C and the shell's close end it.
 */
export async function shellScriptFirstLine(sandbox: Sandbox, timeoutMs: number): Promise<number> {
  const agent = sandbox.agent;
  const id = `bench-shell-${randomUUID().slice(0, 8)}`;
  let output = '';
  let changed: () => void = () => {};
  const off = agent.onMessage((m) => {
    if (m.type !== 'shell-output' || m.id !== id) return;
    output += Buffer.from(m.data, 'base64').toString();
    changed();
  });
  const type = (text: string) =>
    agent.send({ type: 'shell-input', id, data: Buffer.from(text).toString('base64') });
  const waitFor = async (pattern: RegExp, ms: number, what: string) => {
    const deadline = Date.now() + ms;
    while (!pattern.test(output)) {
      if (Date.now() > deadline) {
        throw new Error(
          `${what} within ${ms / 1000} s; the shell shows ${JSON.stringify(output.slice(-300))}`,
        );
      }
      await new Promise<void>((resolve) => {
        changed = resolve;
        setTimeout(resolve, 200);
      });
    }
  };
  agent.send({ type: 'shell-open', id, cols: 200, rows: 30 });
  let forking = true;
  try {
    // The prompt first, so the time counts the script alone, not the shell's start.
    type('echo shell-$((6*7))-ready\r');
    await waitFor(/shell-42-ready/, PROMPT_TIMEOUT_MS, 'no prompt');
    const started = performance.now();
    type(`python3 ${TUTORIAL_HELLO_WORLD}\r`);
    const forks = (async () => {
      while (forking) {
        await execInSandbox(agent, '/bin/true; /bin/true');
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    try {
      await waitFor(TUTORIAL_LINE, timeoutMs, `${TUTORIAL_HELLO_WORLD} printed no trace line`);
      return Math.round(performance.now() - started);
    } finally {
      forking = false;
      await forks;
    }
  } finally {
    type('\x03');
    agent.send({ type: 'shell-close', id });
    off();
  }
}

/**
 * One learner's busy loops, for the test and the bench that measure what they cost the host:
 * loops typed in a sandbox shell and left running, as a learner would (a command run through
 * exec would not do: its process group is killed when it ends).
 */
import type { AgentConnection } from '../agent-connection.js';

const SHELL_ID = 'busy-loops';
const START_TIMEOUT_MS = 60_000;

/** Starts `loops` busy loops in a shell of their own; resolves once the shell has started them. */
export function startBusyLoops(agent: AgentConnection, loops: number): Promise<void> {
  const done = `loops-started-${loops}`;
  const typed = `for i in $(seq ${loops}); do (while :; do :; done) & done; echo loops-started-$((${loops}))\r`;
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(
          `the busy loops did not start within ${START_TIMEOUT_MS / 1000} s; the shell said: ${output}`,
        ),
      );
    }, START_TIMEOUT_MS);
    const off = agent.onMessage((m) => {
      if (m.type !== 'shell-output' || m.id !== SHELL_ID) return;
      output += Buffer.from(m.data, 'base64').toString();
      // The typed line echoes `$((N))`; only the shell's answer has the number itself.
      if (output.includes(done)) {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
    agent.send({ type: 'shell-open', id: SHELL_ID, cols: 80, rows: 24 });
    agent.send({ type: 'shell-input', id: SHELL_ID, data: Buffer.from(typed).toString('base64') });
  });
}

/**
 * Runs a command in the sandbox the way an interactive shell runs a typed one (bash forks, then
 * execs), streaming its output. Used for `--trigger`, for checks and for benchmarks.
 */
import { randomUUID } from 'node:crypto';
import type { AgentConnection } from '../agent-connection.js';
import { LIMITS } from '../limits.js';

export interface ExecResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  timeoutMs?: number;
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  signal?: AbortSignal;
}

export function execInSandbox(
  agent: AgentConnection,
  command: string,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const id = randomUUID();
  const timeoutMs = options.timeoutMs ?? LIMITS.execTimeoutMs.value;
  const output = { stdout: '', stderr: '' };
  const decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  const off = agent.onMessage((message) => {
    if (message.type !== 'exec-output' || message.id !== id) return;
    const text = decoders[message.stream].decode(Buffer.from(message.data, 'base64'), {
      stream: true,
    });
    output[message.stream] += text;
    options.onOutput?.(message.stream, text);
  });
  const kill = () => {
    if (!agent.isClosed) agent.send({ type: 'exec-kill', id });
  };
  options.signal?.addEventListener('abort', kill, { once: true });
  // The agent bounds the command by timeoutMs; the host allows a little more for the reply.
  const exited = agent.waitFor('exec-exit', (m) => m.id === id, timeoutMs + 10_000);
  agent.send({ type: 'exec', id, command, timeoutMs });
  return exited
    .then((exit) => ({
      code: exit.code,
      signal: exit.signal,
      timedOut: exit.timedOut,
      stdout: output.stdout,
      stderr: output.stderr,
    }))
    .finally(() => {
      off();
      options.signal?.removeEventListener('abort', kill);
    });
}

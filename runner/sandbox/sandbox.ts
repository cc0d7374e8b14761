/**
 * The boundary between the app and wherever probes run. The app depends only on this; the
 * drivers (the qemu microVM, and `local` for the Vagrant VM) implement it, speak the same
 * protocol and pass the same tests (test/e2e/sandbox-contract.ts).
 */
import type { AgentConnection } from '../agent-connection.js';
import type { ToolVersion } from '../protocol/messages.js';

export type SandboxMode = 'kvm' | 'tcg' | 'local';

export interface SandboxExit {
  /** `stopped`: we stopped it; `crashed`: it died on its own (or was killed by someone else). */
  reason: 'stopped' | 'crashed';
  detail: string;
}

export interface Sandbox {
  readonly mode: SandboxMode;
  readonly agent: AgentConnection;
  /** Kernel release inside the sandbox. */
  readonly kernel: string;
  /** Versions of BCC, bpftrace, clang... in the sandbox, when its image says (not `local`). */
  readonly tools?: readonly ToolVersion[];
  /** Power-on to agent ready, in ms. */
  readonly bootMs: number;
  /** `template`: restored from a warm VM template (qemu only); else booted. */
  readonly startedFrom?: 'boot' | 'template';
  /** The host process that holds the sandbox (qemu, or the local agent). */
  readonly pid: number | undefined;
  readonly exited: Promise<SandboxExit>;
  readonly isAlive: boolean;
  /**
   * A learner waits on this sandbox (a Run attaching, Check): raise its share of the host's CPU
   * until the returned function is called. Drivers without a host CPU share do nothing.
   */
  favour?(): () => void;
  stop(): Promise<void>;
}

export interface SandboxStartOptions {
  signal?: AbortSignal;
  onProgress?: (text: string) => void;
}

export interface SandboxDriver {
  readonly name: string;
  /**
   * Its sandboxes share one kernel (the local driver): they share its one trace_pipe too, so a
   * sandbox warming up ahead of need would take the trace lines of a learner's attached probe.
   */
  readonly sharesKernel?: boolean;
  start(options?: SandboxStartOptions): Promise<Sandbox>;
  /**
   * Throws a SandboxError, saying why, when no sandbox of this driver can start on this machine:
   * `serve` checks it first, so a lab that cannot run a single probe does not start.
   */
  preflight?(): void;
}

/** The sandbox could not start, or died: never the learner's fault. */
export class SandboxError extends Error {}

/** Rejects with `SandboxError(message)` when `signal` aborts: a start raced against it stops. */
export function rejectOnAbort(signal: AbortSignal | undefined, message: string): Promise<never> {
  return new Promise((_, reject) =>
    signal?.addEventListener('abort', () => reject(new SandboxError(message))),
  );
}

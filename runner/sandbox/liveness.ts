/**
 * The host's watch over a booted sandbox. The guest agent says it is alive every couple of
 * seconds (`heartbeat`); silence past a bound, or a heartbeat from a different agent (the agent
 * was killed and respawned, losing its shells and runs), is a fault. So is a Run that gets no
 * word from the sandbox within a bound. A fault carries a message for the learner, in plain
 * words; what to do about it (a fresh sandbox) is the caller's business.
 */
import type { AgentConnection } from '../agent-connection.js';
import { formatLimitValue, LIMITS } from '../limits.js';
import type { AgentMessageOf } from '../protocol/messages.js';

export type SandboxFaultKind = 'silent' | 'agent-restarted' | 'run-stuck';

export interface SandboxFault {
  kind: SandboxFaultKind;
  /** What happened, for the learner; the caller adds what it does about it. */
  message: string;
}

export interface LivenessOptions {
  heartbeatTimeoutMs?: number;
  onFault(fault: SandboxFault): void;
  onHeartbeat?(heartbeat: AgentMessageOf<'heartbeat'>): void;
  onGuestEvent?(event: AgentMessageOf<'guest-event'>): void;
}

export interface LivenessWatch {
  stop(): void;
}

/** Watches `agent` from now on; reports at most one fault, then stops watching. */
export function watchLiveness(agent: AgentConnection, options: LivenessOptions): LivenessWatch {
  const timeoutMs = options.heartbeatTimeoutMs ?? LIMITS.heartbeatTimeoutMs.value;
  let instance: string | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const fault = (kind: SandboxFaultKind, message: string) => {
    if (stopped) return;
    watch.stop();
    options.onFault({ kind, message });
  };
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () =>
        fault(
          'silent',
          `The sandbox stopped answering for ${formatLimitValue(timeoutMs, 'ms')} — probably a process took all of its memory or its CPUs.`,
        ),
      timeoutMs,
    );
  };
  const off = agent.onMessage((message) => {
    // Any message proves the agent is alive; only a heartbeat says which agent it is.
    arm();
    if (message.type === 'heartbeat') {
      instance ??= message.agent;
      if (message.agent !== instance) {
        fault(
          'agent-restarted',
          'The program that runs the sandbox (its agent) was stopped — by a kill from the shell? — and with it the shell and the Run.',
        );
        return;
      }
      options.onHeartbeat?.(message);
    } else if (message.type === 'guest-event') {
      options.onGuestEvent?.(message);
    }
  });
  const offClose = agent.onClose(() => watch.stop());
  const watch: LivenessWatch = {
    stop() {
      stopped = true;
      clearTimeout(timer);
      off();
      offClose();
    },
  };
  arm();
  return watch;
}

export interface RunProgressOptions {
  /** From the Run request to the sandbox's first word about it ("compiling"). */
  firstWordMs?: number;
  /** From then on ("compiling"), to attached or an error: the guest's compile bound plus room. */
  attachMs?: number;
  onStuck(fault: SandboxFault): void;
}

/**
 * A Run is stuck when the sandbox says nothing about it within a bound, though it may still
 * be sending heartbeats (a worker blocked on a full file system, a flood of processes). The
 * watch covers the start only: once the run attached or ended it is over for good, whatever
 * the run says later (an attached probe may print nothing for hours).
 * Returns `progress` (call it on every event of the run) and `stop`.
 */
export function watchRunProgress(options: RunProgressOptions): {
  progress(attachedOrDone: boolean): void;
  stop(): void;
} {
  const firstWordMs = options.firstWordMs ?? LIMITS.runProgressTimeoutMs.value;
  const attachMs = options.attachMs ?? LIMITS.compileTimeoutMs.value + 30_000;
  let timer: NodeJS.Timeout | undefined;
  let over = false;
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(
      () =>
        options.onStuck({
          kind: 'run-stuck',
          message: `Your Run got no answer from the sandbox for ${formatLimitValue(ms, 'ms')}: the sandbox is stuck.`,
        }),
      ms,
    );
  };
  const stop = () => {
    over = true;
    clearTimeout(timer);
  };
  arm(firstWordMs);
  return {
    progress(attachedOrDone) {
      if (over) return; // a trace line after attach is not a start still in progress
      if (attachedOrDone) stop();
      else arm(attachMs);
    },
    stop,
  };
}

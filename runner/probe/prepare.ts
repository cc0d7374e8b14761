/**
 * Compile ahead: the editor sends the learner's source while they type, the sandbox compiles
 * and caches it, and pressing Run finds it ready (a warm run then costs no compile). The answer
 * doubles as live diagnostics: compile errors and warnings, positioned in the learner's file.
 */
import { randomUUID } from 'node:crypto';
import type { AgentConnection } from '../agent-connection.js';
import { checkSourceSize, LIMITS } from '../limits.js';
import type { AttachSpec } from '../protocol/messages.js';
import type { SourceDiagnostic } from './diagnostics.js';
import { compilerDiagnostics, describeRunError, type ProbeError } from './probe-run.js';

export interface PrepareResult {
  /** The sandbox had already compiled this exact source. */
  cached: boolean;
  warnings: SourceDiagnostic[];
  /** Set when the source does not compile (or is refused by a limit). */
  error: ProbeError | undefined;
}

export interface PrepareOptions {
  /** Longer only for the sandbox's own warm-up, whose first compile waits for BCC's import. */
  timeoutMs?: number;
  /** Where a Run would attach it now: the program is loaded ahead as that kind. */
  attach?: AttachSpec[];
}

/**
 * Unloads the program of `source` that the sandbox keeps loaded for a quick re-run (unless it
 * is running). For the lab's own warm-up programs: a learner's `bpftool prog show` should list
 * only what they ran. Says whether there was one to unload.
 */
export async function unloadProgram(agent: AgentConnection, source: string): Promise<boolean> {
  const id = randomUUID();
  const answer = agent.waitFor('program-unloaded', (m) => m.id === id, 30_000);
  agent.send({ type: 'unload-program', id, source });
  return (await answer).unloaded;
}

export async function prepareProbe(
  agent: AgentConnection,
  source: string,
  { timeoutMs = LIMITS.compileTimeoutMs.value, attach }: PrepareOptions = {},
): Promise<PrepareResult> {
  const tooBig = checkSourceSize(source);
  if (tooBig) {
    return {
      cached: false,
      warnings: [],
      error: { kind: 'limit', message: tooBig, log: '', diagnostics: [] },
    };
  }
  const id = randomUUID();
  const answer = agent.waitFor('prepared', (m) => m.id === id, timeoutMs + 10_000);
  agent.send({ type: 'prepare', id, source, compileTimeoutMs: timeoutMs, attach });
  const prepared = await answer;
  return {
    cached: prepared.cached,
    warnings: compilerDiagnostics(prepared.compilerLog, source),
    error: prepared.error
      ? describeRunError(prepared.error.kind, prepared.error.message, prepared.error.log, source)
      : undefined,
  };
}

import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AgentConnection } from '../agent-connection.js';
import { type SandboxFault, watchLiveness, watchRunProgress } from './liveness.js';

/** An AgentConnection fed by the test: `say` writes a line as the agent would. */
function fakeAgent() {
  const fromAgent = new PassThrough();
  const agent = new AgentConnection(fromAgent, new PassThrough());
  const say = (message: object) => fromAgent.write(`${JSON.stringify(message)}\n`);
  const beat = (agentId: string, seq: number, shells: string[] = []) =>
    say({ type: 'heartbeat', agent: agentId, seq, shells, memAvailableKiB: 1000 });
  return { agent, fromAgent, say, beat };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the liveness watch', () => {
  it('heartbeats keep it quiet; silence past the bound is one fault, in words', async () => {
    const { agent, beat } = fakeAgent();
    const faults: SandboxFault[] = [];
    watchLiveness(agent, { heartbeatTimeoutMs: 300, onFault: (f) => faults.push(f) });
    for (let i = 0; i < 5; i++) {
      beat('a', i);
      await sleep(100);
    }
    expect(faults).toEqual([]);
    await sleep(700);
    expect(faults).toHaveLength(1);
    expect(faults[0]?.kind).toBe('silent');
    expect(faults[0]?.message).toMatch(/stopped answering.*memory/);
  });

  it('a heartbeat from another agent (killed and respawned) is a fault', async () => {
    const { agent, beat } = fakeAgent();
    const faults: SandboxFault[] = [];
    const shells: string[][] = [];
    watchLiveness(agent, {
      heartbeatTimeoutMs: 5000,
      onFault: (f) => faults.push(f),
      onHeartbeat: (b) => shells.push(b.shells),
    });
    beat('first', 0, ['lab-shell']);
    beat('first', 1, ['lab-shell']);
    beat('second', 0);
    beat('second', 1);
    await sleep(50);
    expect(shells).toEqual([['lab-shell'], ['lab-shell']]);
    expect(faults.map((f) => f.kind)).toEqual(['agent-restarted']);
    expect(faults[0]?.message).toMatch(/agent\) was stopped/);
  });

  it('passes guest events on, and stops watching when the connection closes', async () => {
    const { agent, say, fromAgent } = fakeAgent();
    const faults: SandboxFault[] = [];
    const events: string[] = [];
    watchLiveness(agent, {
      heartbeatTimeoutMs: 200,
      onFault: (f) => faults.push(f),
      onGuestEvent: (e) => events.push(e.kind),
    });
    say({ type: 'guest-event', kind: 'processes', message: 'Too many processes' });
    await sleep(20);
    fromAgent.end();
    await sleep(400);
    expect(events).toEqual(['processes']);
    expect(faults).toEqual([]);
  });

  it('a Run with no word within the bound is stuck; progress re-arms, attach ends it', async () => {
    const stuck: SandboxFault[] = [];
    const quiet = watchRunProgress({
      firstWordMs: 100,
      attachMs: 300,
      onStuck: (f) => stuck.push(f),
    });
    await sleep(50);
    quiet.progress(false); // "compiling": now the longer bound
    await sleep(150);
    expect(stuck).toEqual([]);
    quiet.progress(true); // attached
    await sleep(400);
    expect(stuck).toEqual([]);

    // What an attached run says later (trace lines, maps) must not start a new bound.
    quiet.progress(false);
    await sleep(400);
    expect(stuck).toEqual([]);

    const silent = watchRunProgress({ firstWordMs: 100, onStuck: (f) => stuck.push(f) });
    await sleep(200);
    silent.stop();
    expect(stuck.map((f) => f.kind)).toEqual(['run-stuck']);
    expect(stuck[0]?.message).toContain('no answer from the sandbox for 100 ms');
  });
});

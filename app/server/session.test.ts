/**
 * The session lifecycle as pure logic, with a fake sandbox: started on first need, kept while a
 * tab is open, stopped after the idle timeout and after the last tab closes, reattached on a
 * reconnect within the grace period.
 */
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentConnection } from '../../runner/agent-connection.js';
import type { AgentMessage, HostMessage } from '../../runner/protocol/messages.js';
import type { Sandbox, SandboxExit } from '../../runner/sandbox/sandbox.js';
import type { ServerMessage } from '../shared/protocol.js';
import { LearnerSession, type SandboxSource, type SessionClient } from './session.js';

class FakeSandbox implements Sandbox {
  readonly mode = 'tcg' as const;
  readonly kernel = '6.1.0-fake';
  readonly bootMs = 1;
  readonly pid = 4242;
  readonly agent: AgentConnection;
  readonly sent: HostMessage[] = [];
  readonly exited: Promise<SandboxExit>;
  private readonly fromAgent = new PassThrough();
  private resolveExit!: (exit: SandboxExit) => void;
  private alive = true;

  constructor() {
    const toAgent = new PassThrough();
    toAgent.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        this.sent.push(JSON.parse(line));
    });
    this.agent = new AgentConnection(this.fromAgent, toAgent);
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  get isAlive(): boolean {
    return this.alive;
  }

  async stop(): Promise<void> {
    this.end('stopped');
  }

  /** A message as if the guest agent had sent it. */
  emit(message: AgentMessage): void {
    this.fromAgent.write(`${JSON.stringify(message)}\n`);
  }

  crash(): void {
    this.end('crashed');
  }

  private end(reason: SandboxExit['reason']): void {
    if (!this.alive) return;
    this.alive = false;
    this.agent.close('gone');
    this.resolveExit({ reason, detail: reason });
  }
}

class FakeSource implements SandboxSource {
  readonly started: FakeSandbox[] = [];
  async acquire(): Promise<Sandbox> {
    const sandbox = new FakeSandbox();
    this.started.push(sandbox);
    return sandbox;
  }
}

function fakeClient() {
  const messages: ServerMessage[] = [];
  const output: { stream: string; text: string }[] = [];
  const client: SessionClient = {
    send: (m) => messages.push(m),
    output: (stream, text) => output.push({ stream, text }),
  };
  return { client, messages, output };
}

const OPTIONS = { idleTimeoutMs: 60_000, reconnectGraceMs: 5_000, shellScrollbackBytes: 1024 };

let source: FakeSource;
let disposed: LearnerSession[];
let session: LearnerSession;

beforeEach(() => {
  vi.useFakeTimers();
  source = new FakeSource();
  disposed = [];
  session = new LearnerSession('learner-1', source, OPTIONS, (s) => disposed.push(s));
});
afterEach(() => vi.useRealTimers());

// Streams deliver data on setImmediate, which the fake timers control too.
const settle = () => vi.advanceTimersByTimeAsync(1);

describe('LearnerSession', () => {
  it('starts a sandbox and opens a shell when the first tab attaches', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    expect(source.started).toHaveLength(1);
    expect(source.started[0]?.sent[0]).toMatchObject({ type: 'shell-open' });
    expect(tab.messages.at(-1)).toMatchObject({ type: 'status', phase: 'ready' });
  });

  it('shares one sandbox between tabs and keeps it while one is open', async () => {
    const a = fakeClient();
    const b = fakeClient();
    session.attach(a.client);
    session.attach(b.client);
    await settle();
    session.detach(a.client);
    await vi.advanceTimersByTimeAsync(OPTIONS.reconnectGraceMs * 2);
    expect(source.started).toHaveLength(1);
    expect(session.hasSandbox).toBe(true);
    expect(disposed).toEqual([]);
  });

  it('stops the sandbox a grace period after the last tab closes', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    session.detach(tab.client);
    await vi.advanceTimersByTimeAsync(OPTIONS.reconnectGraceMs - 1);
    expect(session.hasSandbox).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    expect(session.hasSandbox).toBe(false);
    expect(source.started[0]?.isAlive).toBe(false);
    expect(disposed).toEqual([session]);
  });

  it('reattaches a tab that reconnects within the grace period to the same sandbox and shell', async () => {
    const first = fakeClient();
    session.attach(first.client);
    await settle();
    source.started[0]?.emit({
      type: 'shell-output',
      id: 'lab-shell',
      data: Buffer.from('$ ls\r\n').toString('base64'),
    });
    await settle();
    session.detach(first.client);
    await vi.advanceTimersByTimeAsync(OPTIONS.reconnectGraceMs / 2);
    const again = fakeClient();
    session.attach(again.client);
    await vi.advanceTimersByTimeAsync(OPTIONS.reconnectGraceMs * 2);
    expect(source.started).toHaveLength(1);
    expect(session.hasSandbox).toBe(true);
    expect(again.output).toContainEqual({ stream: 'shell', text: '$ ls\r\n' });
  });

  it('stops the sandbox after the idle timeout and starts a new one on the next action', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    await vi.advanceTimersByTimeAsync(OPTIONS.idleTimeoutMs);
    expect(session.hasSandbox).toBe(false);
    expect(tab.messages.at(-1)).toMatchObject({ type: 'status', phase: 'stopped' });
    expect(String((tab.messages.at(-1) as { text: string }).text)).toContain('1 min');
    await session.handle({ type: 'shell-input', data: 'ls\r' }, tab.client);
    expect(source.started).toHaveLength(2);
    expect(source.started[1]?.sent.at(-1)).toMatchObject({ type: 'shell-input' });
  });

  it('activity postpones the idle timeout', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    await vi.advanceTimersByTimeAsync(OPTIONS.idleTimeoutMs - 1000);
    await session.handle({ type: 'shell-resize', cols: 100, rows: 30 }, tab.client);
    await vi.advanceTimersByTimeAsync(OPTIONS.idleTimeoutMs - 1000);
    expect(session.hasSandbox).toBe(true);
  });

  it('replaces a crashed sandbox while a tab is open, and says so', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    source.started[0]?.crash();
    await settle();
    expect(
      tab.messages.some((m) => m.type === 'status' && /stopped unexpectedly/.test(m.text)),
    ).toBe(true);
    expect(source.started).toHaveLength(2);
    expect(session.hasSandbox).toBe(true);
  });
});

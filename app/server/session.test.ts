/**
 * The session lifecycle as pure logic, with a fake sandbox: started on first need, kept while a
 * tab is open, stopped after the idle timeout and after the last tab closes, reattached on a
 * reconnect within the grace period.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FakeSandbox, FakeSource } from '../../test/fake-sandbox.js';
import type { Lesson } from '../lessons/schema.js';
import type { ClientMessage, ServerMessage } from '../shared/protocol.js';
import {
  type HandState,
  LearnerSession,
  type SessionClient,
  type SessionHooks,
} from './session.js';

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

  it('a sandbox that stops answering is replaced, the learner told why, their files put back', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    await session.handle({ type: 'save-files', files: { 'probe.c': 'int x;' } }, tab.client);
    source.started[0]?.silence();
    await vi.advanceTimersByTimeAsync(46_000);
    const told = tab.messages.flatMap((m) => (m.type === 'status' ? [m.text] : []));
    expect(told.some((t) => /stopped answering for 45 s .* your code is kept/.test(t))).toBe(true);
    expect(told.at(-1)).toMatch(/^A fresh sandbox is ready .*stopped answering/);
    expect(source.started).toHaveLength(2);
    expect(source.started[0]?.isAlive).toBe(false);
    expect(source.started[1]?.sent).toContainEqual(
      expect.objectContaining({ type: 'write-file', path: '/root/probe.c' }),
    );
    expect(
      tab.output.some((o) => o.stream === 'shell' && o.text.includes('stopped answering')),
    ).toBe(true);
  });

  it('an agent that was killed and respawned means a fresh sandbox, said in words', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    await vi.advanceTimersByTimeAsync(4000);
    source.started[0]?.respawnAgent();
    await settle();
    expect(
      tab.messages.some((m) => m.type === 'status' && /\(its agent\) was stopped/.test(m.text)),
    ).toBe(true);
    expect(source.started).toHaveLength(2);
  });

  it('a shell the agent no longer lists is opened again', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    await vi.advanceTimersByTimeAsync(4000);
    const sandbox = source.started[0] as FakeSandbox;
    (sandbox as unknown as { shells: Set<string> }).shells.clear();
    await vi.advanceTimersByTimeAsync(4100);
    expect(sandbox.sent.filter((m) => m.type === 'shell-open')).toHaveLength(2);
    expect(tab.output.some((o) => o.text.includes('the shell was gone'))).toBe(true);
  });

  it('Reset sandbox: a fresh one, the learner told, nothing else replaced', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    await session.handle({ type: 'reset-sandbox' }, tab.client);
    await settle();
    expect(source.started).toHaveLength(2);
    expect(source.started[0]?.isAlive).toBe(false);
    expect(tab.messages.at(-1)).toMatchObject({ type: 'status', phase: 'ready' });
    expect(
      tab.messages.some((m) => m.type === 'status' && m.text.includes('You reset the sandbox')),
    ).toBe(true);
  });

  it('a flood of saves holds at most the newest: one write in flight, one waiting', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    const sandbox = source.started[0] as FakeSandbox;
    await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        session.handle({ type: 'save-files', files: { 'a.c': `// ${i}` } }, tab.client),
      ),
    );
    await settle();
    const writes = sandbox.sent.flatMap((m) => (m.type === 'write-file' ? [m.data] : []));
    expect(writes.length).toBeLessThanOrEqual(2);
    expect(Buffer.from(writes.at(-1) ?? '', 'base64').toString()).toBe('// 499');
  });

  it('a command typed right after a save runs once every saved file is written (lesson 9 ran the old script)', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    const sandbox = source.started[0] as FakeSandbox;
    const files = { 'probe.c': '// c', 'script.py': '# py' };
    const save = session.handle({ type: 'save-files', files }, tab.client);
    const typed = session.handle({ type: 'shell-input', data: 'python3 script.py\r' }, tab.client);
    for (let i = 0; i < 20; i++) await settle();
    await Promise.all([save, typed]);
    const order = sandbox.sent.flatMap((m) =>
      m.type === 'write-file' ? [m.path] : m.type === 'shell-input' ? ['input'] : [],
    );
    expect(order).toEqual(['/root/probe.c', '/root/script.py', 'input']);
  });

  it('shell input the sandbox has not read past the limit is refused, and the tab told', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    const sandbox = source.started[0] as FakeSandbox;
    sandbox.backlogBytes = 2 * 1024 * 1024;
    await session.handle({ type: 'shell-input', data: 'ls\r' }, tab.client);
    expect(sandbox.sent.some((m) => m.type === 'shell-input')).toBe(false);
    expect(tab.messages.at(-1)).toMatchObject({ type: 'error', code: 'limit' });
    expect(String((tab.messages.at(-1) as { message: string }).message)).toMatch(
      /^Shell input refused: .*shellInputBacklogBytes/,
    );
    sandbox.backlogBytes = 0;
    await session.handle({ type: 'shell-input', data: 'ls\r' }, tab.client);
    expect(sandbox.sent.at(-1)).toMatchObject({ type: 'shell-input' });
  });

  it("input the guest's shell has not read past its own bound is refused there, and the tab told", async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    const sandbox = source.started[0] as FakeSandbox;
    const shellId = sandbox.sent.find((m) => m.type === 'shell-open')?.id as string;
    sandbox.emit({
      type: 'error',
      id: shellId,
      code: 'busy',
      message: 'the shell has not yet read the 1024 KiB typed before',
    });
    await settle();
    expect(tab.messages.at(-1)).toEqual({
      type: 'error',
      code: 'limit',
      message:
        'Shell input refused: the shell has not yet read the 1024 KiB typed before. Press Ctrl-C to drop it.',
    });
  });

  it('an attached probe that then prints nothing for a long time is not taken for a stuck sandbox', async () => {
    const patient = { ...OPTIONS, idleTimeoutMs: 60 * 60_000 };
    session = new LearnerSession('learner-2', source, patient, (s) => disposed.push(s));
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    const sandbox = source.started[0] as FakeSandbox;
    await session.handle(
      {
        type: 'run',
        source: 'int p(void *ctx) { return 0; }',
        attach: [{ kind: 'kprobe', target: 'clone' }],
      },
      tab.client,
    );
    await settle();
    const run = sandbox.sent.find((m) => m.type === 'run');
    expect(run).toBeDefined();
    const id = (run as { id: string }).id;
    sandbox.emit({ type: 'run-stage', id, stage: 'compiling', cached: false });
    const probes = [{ kind: 'kprobe', event: '__x64_sys_clone', fn: 'p' }] as const;
    sandbox.emit({ type: 'run-attached', id, probes: [...probes], compilerLog: '' });
    sandbox.emit({ type: 'trace', id, lines: ['bash-1 [000] 1.0: hi'], dropped: 0 });
    // Ten quiet minutes with the agent alive: longer than any bound on a Run's start.
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    const told = tab.messages.flatMap((m) => (m.type === 'status' ? [m.text] : []));
    expect(told.filter((t) => /stuck/.test(t))).toEqual([]);
    expect(source.started).toHaveLength(1);
    expect(told.at(-1)).toMatch(/^Attached to kprobe __x64_sys_clone/);
  });

  it('favours the sandbox from Run until the probe is attached or the Run fails', async () => {
    const tab = fakeClient();
    session.attach(tab.client);
    await settle();
    const sandbox = source.started[0] as FakeSandbox;
    const press = async () => {
      await session.handle(
        {
          type: 'run',
          source: `int p(void *ctx) { return ${sandbox.sent.length}; }`,
          attach: [{ kind: 'kprobe', target: 'clone' }],
        },
        tab.client,
      );
      await settle();
      return (sandbox.sent.findLast((m) => m.type === 'run') as { id: string }).id;
    };
    const first = await press();
    expect(sandbox.favoured).toBe(1);
    sandbox.emit({ type: 'run-stage', id: first, stage: 'compiling', cached: false });
    await settle();
    expect(sandbox.favoured).toBe(1);
    const probes = [{ kind: 'kprobe', event: '__x64_sys_clone', fn: 'p' }] as const;
    sandbox.emit({ type: 'run-attached', id: first, probes: [...probes], compilerLog: '' });
    await settle();
    expect(sandbox.favoured).toBe(0);

    // The next Run stops the attached one first; a compile error ends the wait too.
    const stopping = session.handle(
      { type: 'run', source: 'int q(void *ctx) {', attach: [{ kind: 'kprobe', target: 'clone' }] },
      tab.client,
    );
    await settle();
    expect(sandbox.favoured).toBe(1);
    sandbox.emit({ type: 'run-stopped', id: first, reason: 'requested' });
    await stopping;
    await settle();
    const second = (sandbox.sent.findLast((m) => m.type === 'run') as { id: string }).id;
    sandbox.emit({ type: 'run-error', id: second, kind: 'compile', message: 'no', log: '' });
    await settle();
    expect(sandbox.favoured).toBe(0);
  });

  it("a run's maps reach the tabs of its lesson only, also a tab opened later", async () => {
    const first = fakeClient();
    session.attach(first.client);
    await settle();
    await session.handle({ type: 'view', lessonId: '10-maps' }, first.client);
    const sandbox = source.started[0] as FakeSandbox;
    await session.handle(
      {
        type: 'run',
        source: 'BPF_HASH(opens, u32, u64); int p(void *ctx) { return 0; }',
        attach: [{ kind: 'kprobe', target: 'openat' }],
        lessonId: '10-maps',
      },
      first.client,
    );
    await settle();
    const id = (sandbox.sent.find((m) => m.type === 'run') as { id: string }).id;
    sandbox.emit({ type: 'maps', id, maps: [], final: true });
    await settle();
    expect(first.messages.some((m) => m.type === 'maps')).toBe(true);

    const otherLesson = fakeClient();
    session.attach(otherLesson.client);
    await session.handle({ type: 'view', lessonId: '12-security' }, otherLesson.client);
    const sameLesson = fakeClient();
    session.attach(sameLesson.client);
    await session.handle({ type: 'view', lessonId: '10-maps' }, sameLesson.client);
    await settle();
    expect(otherLesson.messages.some((m) => m.type === 'maps')).toBe(false);
    expect(sameLesson.messages.some((m) => m.type === 'maps')).toBe(true);
  });

  describe('tells the lab what the learner does (the session hooks)', () => {
    const LESSON = {
      id: '02-verifier',
      meta: { title: 'Verifier', checks: [], attach: [] },
      files: [],
    };
    function recordingHooks(hand: HandState = { raised: true }) {
      const calls: unknown[][] = [];
      const hooks: SessionHooks = {
        lesson: (id) => (id === LESSON.id ? (LESSON as unknown as Lesson) : undefined),
        checkFinished: async (...args) => void calls.push(['check', ...args]),
        runFinished: (...args) => void calls.push(['run', ...args]),
        active: (...args) => void calls.push(['active', ...args]),
        setHand: async (...args) => {
          calls.push(['hand', ...args]);
          return hand;
        },
        changed: () => {},
      };
      return { hooks, calls };
    }
    const run = (lessonId?: string): ClientMessage => ({
      type: 'run',
      source: 'int p(void *ctx) { return 0; }',
      attach: [{ kind: 'kprobe', target: 'clone' }],
      lessonId,
    });

    it("each run's first outcome, in its lesson; not a run of no lesson", async () => {
      const { hooks, calls } = recordingHooks();
      session = new LearnerSession('learner-3', source, OPTIONS, () => {}, hooks);
      const tab = fakeClient();
      session.attach(tab.client);
      await settle();
      const sandbox = source.started[0] as FakeSandbox;
      const idOf = (n: number) =>
        (sandbox.sent.filter((m) => m.type === 'run')[n] as { id: string }).id;

      await session.handle(run(LESSON.id), tab.client);
      await settle();
      sandbox.emit({
        type: 'run-error',
        id: idOf(0),
        kind: 'verifier',
        message: 'The verifier rejected the program.',
        log: 'R1 invalid mem access',
      });
      sandbox.emit({ type: 'run-stopped', id: idOf(0), reason: 'error' });
      await settle();
      await session.handle(run(LESSON.id), tab.client);
      await settle();
      const probes = [{ kind: 'kprobe', event: '__x64_sys_clone', fn: 'p' }] as const;
      sandbox.emit({ type: 'run-attached', id: idOf(1), probes: [...probes], compilerLog: '' });
      await settle();
      expect(session.live).toMatchObject({ tabs: 1, lessonId: LESSON.id, attached: true });
      await session.handle(run(), tab.client);
      await settle();
      sandbox.emit({ type: 'run-stopped', id: idOf(1), reason: 'requested' });
      await settle();
      sandbox.emit({ type: 'run-error', id: idOf(2), kind: 'compile', message: 'no', log: '' });
      await settle();

      const runs = calls.filter((c) => c[0] === 'run');
      expect(runs).toEqual([
        [
          'run',
          'learner-3',
          LESSON.id,
          'verifier',
          expect.stringMatching(/^The verifier rejected/),
        ],
        ['run', 'learner-3', LESSON.id, 'attached', undefined],
      ]);
      expect(calls).toContainEqual(['active', 'learner-3', LESSON.id]);
    });

    it("a check's summary is recorded before the tab hears it is done", async () => {
      const { hooks, calls } = recordingHooks();
      session = new LearnerSession('learner-4', source, OPTIONS, () => {}, hooks);
      const tab = fakeClient();
      session.attach(tab.client);
      await settle();
      await session.handle({ type: 'check', lessonId: LESSON.id, files: {} }, tab.client);
      await settle();
      expect(calls.filter((c) => c[0] === 'check')).toEqual([
        [
          'check',
          'learner-4',
          LESSON.id,
          { passed: true, checksPassed: 0, checksTotal: 0, firstErrorLine: undefined },
        ],
      ]);
      expect(tab.messages).toContainEqual({
        type: 'check-done',
        lessonId: LESSON.id,
        passed: true,
      });
    });

    it('raise hand: every tab shows it up; refused, only the asking tab hears why', async () => {
      const { hooks } = recordingHooks();
      session = new LearnerSession('learner-5', source, OPTIONS, () => {}, hooks);
      const a = fakeClient();
      const b = fakeClient();
      session.attach(a.client);
      session.attach(b.client);
      await session.handle({ type: 'raise-hand', lessonId: LESSON.id }, a.client);
      for (const tab of [a, b]) {
        expect(tab.messages).toContainEqual({ type: 'hand', raised: true, by: 'learner' });
      }

      const refusing = recordingHooks({ refused: 'not in a class' });
      session = new LearnerSession('learner-6', source, OPTIONS, () => {}, refusing.hooks);
      const c = fakeClient();
      const d = fakeClient();
      session.attach(c.client);
      session.attach(d.client);
      await session.handle({ type: 'raise-hand' }, c.client);
      expect(c.messages).toContainEqual({ type: 'hand', raised: false, refused: 'not in a class' });
      expect(d.messages.some((m) => m.type === 'hand')).toBe(false);
    });

    it('the instructor ending the sandbox stops it and tells the learner', async () => {
      const tab = fakeClient();
      session.attach(tab.client);
      await settle();
      expect(session.live.sandbox).toBe('running');
      await session.endSandbox();
      expect(session.live.sandbox).toBe('none');
      expect(source.started[0]?.isAlive).toBe(false);
      expect(tab.messages.at(-1)).toMatchObject({
        type: 'status',
        phase: 'stopped',
        text: expect.stringMatching(/^Your instructor stopped your sandbox/),
      });
    });
  });
});

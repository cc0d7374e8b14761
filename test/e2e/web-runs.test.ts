/**
 * Runs as a learner's tabs make them, through the lab server's real WebSocket to a real
 * sandbox (issue 9): Runs that supersede each other (pressed twice, or 200 times in a row),
 * the attach kind changed between Runs and then Check, and a run that belongs to the lesson it
 * was started in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabServer } from '../../app/server/server.js';
import type { AttachChoice, ServerMessage } from '../../app/shared/protocol.js';
import { HELLO_WORLD } from './helpers.js';
import { LabTab, learnerCookie } from './lab-client.js';
import { startQemuLab } from './qemu-lab.js';

const CLONE: AttachChoice = { kind: 'kprobe', target: 'clone' };

let lab: LabServer;
let closeLab: (() => Promise<void>) | undefined;
let cookie: string | undefined;

beforeAll(async () => {
  ({ lab, close: closeLab } = await startQemuLab());
});

afterAll(async () => {
  await closeLab?.();
});

/**
 * A tab of the one learner these tests share (one sandbox: boots are slow on a shared machine),
 * its sandbox ready. A boot can miss its deadline when the machine is busy: a tab that opens
 * again starts another one, as a learner's reload would (three tries).
 */
async function newLearner(): Promise<{ cookie: string; tab: LabTab }> {
  cookie ??= await learnerCookie(lab.url);
  for (let attempt = 1; ; attempt++) {
    const tab = await LabTab.open(lab.url, cookie);
    await tab.waitFor(
      () => /^(ready|error|attached|stopped)/.test(tab.status()),
      'the sandbox to start or fail',
      300_000,
    );
    if (!tab.status().startsWith('error')) {
      // An earlier test's probe may still be attached: each test starts from none.
      tab.send({ type: 'stop' });
      await tab.waitFor(() => !tab.status().startsWith('attached'), 'the stop', 300_000);
      return { cookie, tab };
    }
    tab.close();
    if (attempt === 3) throw new Error(`the sandbox did not start: ${tab.status()}`);
  }
}

const probe = (word: string) => `int hello_world(void *ctx) {
    bpf_trace_printk("${word}\\n");
    return 0;
}
`;

const statuses = (messages: ServerMessage[]) =>
  messages.flatMap((m) => (m.type === 'status' ? [`${m.phase}: ${m.text}`] : []));

describe('Runs supersede each other', () => {
  it('a second Run never leaves "Attached" showing, and 200 Runs in a row end in the newest', async () => {
    const { tab } = await newLearner();
    tab.send({ type: 'run', source: probe('first run'), attach: [CLONE] });
    await tab.waitFor(
      () => tab.status().startsWith('attached'),
      'the first run to attach',
      300_000,
    );

    // Pressed twice quickly: the first answer already says the old probe is going.
    let from = tab.messages.length;
    tab.send({ type: 'run', source: probe('second run'), attach: [CLONE] });
    tab.send({ type: 'run', source: probe('third run'), attach: [CLONE] });
    await tab.waitFor(
      () => statuses(tab.messages.slice(from)).some((s) => s.startsWith('attached')),
      'the newest run to attach',
      300_000,
    );
    const afterDouble = statuses(tab.messages.slice(from));
    expect(afterDouble[0]).not.toMatch(/^attached/);
    expect(afterDouble.filter((s) => s.startsWith('attached'))).toHaveLength(1);
    tab.send({ type: 'shell-input', data: 'ls /\r' });
    await tab.waitFor(() => tab.trace.includes('third run'), 'the third run to trace', 300_000);
    expect(tab.trace).not.toContain('second run');

    // 200 Runs from one tab, each a different source: only the newest is compiled and attached.
    from = tab.messages.length;
    const started = Date.now();
    for (let i = 0; i < 200; i++) {
      tab.send({ type: 'run', source: probe(`burst ${i} end`), attach: [CLONE] });
    }
    await tab.waitFor(
      () => statuses(tab.messages.slice(from)).some((s) => s.startsWith('attached')),
      'the newest of 200 runs to attach',
      300_000,
    );
    const settledMs = Date.now() - started;
    const burst = tab.messages.slice(from);
    expect(statuses(burst).filter((s) => s.startsWith('attached'))).toHaveLength(1);
    expect(JSON.stringify(burst)).not.toContain('did not confirm the stop');
    expect(burst.filter((m) => m.type === 'run-error')).toEqual([]);
    const traceBefore = tab.trace.length;
    tab.send({ type: 'shell-input', data: 'ls /\r' });
    await tab.waitFor(
      () => tab.trace.slice(traceBefore).includes('burst 199 end'),
      'the newest run to trace',
      300_000,
    );
    const seen = new Set(tab.trace.slice(traceBefore).match(/burst \d+ end/g));
    expect([...seen]).toEqual(['burst 199 end']);
    console.log(`200 Runs: the newest attached ${(settledMs / 1000).toFixed(1)} s after the first`);

    // And Stop while a Run is on its way: nothing is left attached, the status says so.
    from = tab.messages.length;
    tab.send({ type: 'run', source: probe('cancelled'), attach: [CLONE] });
    tab.send({ type: 'stop' });
    await tab.waitFor(
      () => tab.status().startsWith('stopped') && statuses(tab.messages.slice(from)).length > 1,
      'the stop',
      300_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(tab.status()).toMatch(/^stopped/);
    tab.close();
  }, 900_000);
});

describe('the attach kind changed between Runs (lesson 8), then Check', () => {
  it('attaches the same source as a tracepoint, a kprobe, and back; Check then passes', async () => {
    const { tab } = await newLearner();
    const lesson = await (await fetch(`${lab.url}/api/lessons/01-hello`)).json();
    const solution: string = lesson.files[0].solution;
    const kinds: AttachChoice[] = [
      { kind: 'tracepoint', target: 'sched:sched_process_exec' },
      { kind: 'kprobe', target: 'execve' },
      { kind: 'tracepoint', target: 'sched:sched_process_exec' },
      { kind: 'kretprobe', target: 'openat' },
    ];
    for (const attach of kinds) {
      const from = tab.messages.length;
      const traceFrom = tab.trace.length;
      tab.send({ type: 'run', source: solution, attach: [attach], lessonId: '01-hello' });
      // This run's own `attached` message: the status still says the previous run's
      // "attached" until the server has answered the new Run.
      await tab.waitFor(
        () => tab.messages.slice(from).some((m) => m.type === 'attached' || m.type === 'run-error'),
        `the run on ${attach.kind} ${attach.target}`,
        300_000,
      );
      expect(tab.messages.slice(from).find((m) => m.type === 'run-error')).toBeUndefined();
      tab.send({ type: 'shell-input', data: '/bin/cat /etc/hostname\r' });
      await tab.waitFor(
        () => tab.trace.slice(traceFrom).includes('Hello World!!'),
        `a trace line from ${attach.kind} ${attach.target}`,
        300_000,
      );
    }
    const files = Object.fromEntries(
      lesson.files.map((f: { name: string; solution: string | null; starter: string }) => [
        f.name,
        f.solution ?? f.starter,
      ]),
    );
    tab.send({ type: 'check', lessonId: '01-hello', files });
    await tab.waitFor(
      () => tab.messages.some((m) => m.type === 'check-done'),
      'the checks',
      300_000,
    );
    const results = tab.messages.flatMap((m) =>
      m.type === 'check-result' && m.result.status !== 'running' ? [m.result] : [],
    );
    expect(results.map((r) => `${r.title}: ${r.status} ${r.detail ?? ''}`.trim())).toEqual(
      results.map((r) => `${r.title}: passed`),
    );
    tab.close();
  }, 900_000);
});

describe('a run belongs to the lesson it was started in', () => {
  it("another lesson's tab gets neither its status nor its trace, is told, and can stop it", async () => {
    const { cookie, tab: hello } = await newLearner();
    hello.send({ type: 'stop' });
    await new Promise((resolve) => setTimeout(resolve, 2000));
    hello.send({ type: 'view', lessonId: '01-hello' });
    hello.send({ type: 'run', source: HELLO_WORLD, attach: [CLONE], lessonId: '01-hello' });
    await hello.waitFor(() => hello.status().startsWith('attached'), 'the run to attach', 300_000);

    const other = await LabTab.open(lab.url, cookie);
    other.send({ type: 'view', lessonId: '02-verifier' });
    await other.waitFor(
      () => other.messages.some((m) => m.type === 'other-run' && m.run !== null),
      'the other-run notice',
      300_000,
    );
    expect(other.status()).toMatch(/^ready: Sandbox ready/);
    const notice = other.messages.find((m) => m.type === 'other-run');
    expect(notice).toEqual({
      type: 'other-run',
      run: { lessonId: '01-hello', title: 'Hello fixture', where: 'kprobe __x64_sys_clone' },
    });

    hello.send({ type: 'shell-input', data: 'ls /\r' });
    await hello.waitFor(
      () => hello.trace.includes('Hello World!!'),
      'Hello World in lesson 1',
      300_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(other.trace).toBe('');
    expect(other.messages.filter((m) => m.type === 'attached')).toEqual([]);

    // Stop from the other lesson's tab: the notice goes, lesson 1's tab sees its run stop.
    other.send({ type: 'stop' });
    const lastNotice = () => other.messages.filter((m) => m.type === 'other-run').at(-1);
    await other.waitFor(
      () => lastNotice()?.type === 'other-run' && lastNotice()?.run === null,
      'the notice to go',
      300_000,
    );
    await hello.waitFor(
      () => hello.status().startsWith('stopped'),
      'lesson 1 to see the stop',
      300_000,
    );
    expect(other.status()).toMatch(/^ready/);

    // A Run in the other lesson replaces lesson 1's: each tab is told what is now its news.
    hello.send({ type: 'run', source: HELLO_WORLD, attach: [CLONE], lessonId: '01-hello' });
    await hello.waitFor(
      () => hello.status().startsWith('attached'),
      'lesson 1 attached again',
      300_000,
    );
    other.send({
      type: 'run',
      source: probe('verifier lesson'),
      attach: [CLONE],
      lessonId: '02-verifier',
    });
    await other.waitFor(
      () => other.status().startsWith('attached'),
      'the other lesson to attach',
      300_000,
    );
    await hello.waitFor(() => hello.status().startsWith('stopped'), 'lesson 1 to be told', 300_000);
    await hello.waitFor(
      () => hello.messages.some((m) => m.type === 'other-run' && m.run?.lessonId === '02-verifier'),
      'lesson 1 to hear of the other run',
      300_000,
    );
    other.close();
    hello.close();
  }, 900_000);
});

describe('Run in shell', () => {
  it('types one command at a time at the prompt: never after a half-typed line, never into a program', async () => {
    const { tab } = await newLearner();
    const shellSince = (from: number) => tab.shell.slice(from);

    // A half-typed line is cleared first (to bash's kill ring), not run together with ours.
    let from = tab.shell.length;
    tab.send({ type: 'shell-input', data: 'echo half' });
    await tab.waitFor(() => shellSince(from).includes('echo half'), 'the half-typed line', 300_000);
    tab.send({ type: 'shell-run', commands: ['echo one-$((1+1))', 'echo two-$((2+2))'] });
    await tab.waitFor(() => shellSince(from).includes('two-4'), 'both commands', 300_000);
    expect(shellSince(from)).toContain('one-2');
    expect(shellSince(from)).not.toContain('halfecho');
    expect(shellSince(from)).not.toMatch(/half\s*one/);

    // A program in the foreground: refused, with the reason; nothing is typed into it.
    from = tab.shell.length;
    tab.send({ type: 'shell-input', data: 'sleep 60\r' });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    tab.send({ type: 'shell-run', commands: ['echo typed-$((3+3))'] });
    await tab.waitFor(
      () => shellSince(from).includes('a program is running in the shell'),
      'the refusal',
      300_000,
    );
    tab.send({ type: 'shell-input', data: '\x03' });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(shellSince(from)).not.toContain('typed-6');

    // A script started with & first says it is ready; the next command waits for it.
    from = tab.shell.length;
    tab.send({
      type: 'shell-run',
      commands: ['(sleep 4; echo script-ready-$((5+5))) &', 'echo after-$((6+6))'],
    });
    await tab.waitFor(
      () => shellSince(from).includes('after-12'),
      'the command after the script',
      300_000,
    );
    const output = shellSince(from);
    expect(output.indexOf('script-ready-10')).toBeGreaterThan(0);
    expect(output.indexOf('script-ready-10')).toBeLessThan(output.indexOf('after-12'));
    tab.close();
  }, 900_000);
});

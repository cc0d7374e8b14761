/**
 * The web lab's server with a real sandbox, driven over its real WebSocket the way a tab
 * drives it: run the guide's probe, type `ls` into the shell, read Hello World from the trace
 * stream. Also: bad frames get error replies, foreign origins are refused, the API answers.
 */
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabServer } from '../../app/server/server.js';
import { HELLO_WORLD } from './helpers.js';
import { LabTab } from './lab-client.js';
import { startQemuLab } from './qemu-lab.js';

let lab: LabServer;
let closeLab: (() => Promise<void>) | undefined;
let cookie: string;

beforeAll(async () => {
  ({ lab, close: closeLab } = await startQemuLab());
  const res = await fetch(`${lab.url}/api/course`);
  cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
});

afterAll(async () => {
  await closeLab?.();
});

/** A tab of this learner (the cookie); `headers` add to or replace what it sends. */
const openTab = (headers: Record<string, string> = {}) => LabTab.open(lab.url, cookie, headers);

describe('the web lab server', () => {
  it('serves the course and the hello world lesson', async () => {
    const course = await (await fetch(`${lab.url}/api/course`, { headers: { cookie } })).json();
    expect(course.lessons[0]).toMatchObject({ id: '01-hello', state: 'new' });
    const lesson = await (
      await fetch(`${lab.url}/api/lessons/01-hello`, { headers: { cookie } })
    ).json();
    expect(lesson.html).toContain('Step 1: write the probe');
    expect(lesson.files[0]).toMatchObject({ name: 'hello_world.c', language: 'c' });
    expect(lesson.attach).toEqual([{ kind: 'kprobe', target: 'clone' }]);
    const missing = await fetch(`${lab.url}/api/lessons/nope`);
    expect(missing.status).toBe(404);
  });

  it('sends a CSP that allows exactly its own origin and WebSocket', async () => {
    const res = await fetch(`${lab.url}/api/course`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src 'self' ws://${new URL(lab.url).host}`);
    expect(csp).not.toMatch(/unsafe-eval|\*/);
  });

  it('has a browser ask again for the client bundle, so an update reaches every open lab', async () => {
    const res = await fetch(`${lab.url}/assets/main.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=0');
    const etag = res.headers.get('etag') ?? '';
    expect(etag).not.toBe('');
    // As a browser revalidates (Node's fetch sends its own cache headers with a conditional
    // request, so a plain request it is).
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${lab.url}/assets/main.js`, { headers: { 'if-none-match': etag } }, (answer) => {
        answer.resume();
        resolve(answer.statusCode);
      }).on('error', reject);
    });
    expect(status).toBe(304);
  });

  it('refuses a WebSocket from another origin', async () => {
    await expect(openTab({ origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
  });

  it('runs the probe, and `ls` typed in the shell makes Hello World appear', async () => {
    const tab = await openTab();
    await tab.waitFor(() => tab.status().startsWith('ready'), 'the sandbox to start');
    tab.send({ type: 'shell-resize', cols: 100, rows: 30 });
    tab.send({ type: 'run', source: HELLO_WORLD, attach: [{ kind: 'kprobe', target: 'clone' }] });
    await tab.waitFor(() => tab.status().startsWith('attached'), 'the probe to attach');
    expect(tab.status()).toContain('__x64_sys_clone');
    tab.send({ type: 'shell-input', data: 'ls /\r' });
    await tab.waitFor(() => tab.trace.includes('Hello World!!'), 'Hello World in the trace');
    await tab.waitFor(() => tab.shell.includes('boot'), 'the shell to list /');

    tab.send({ type: 'bytecode' });
    await tab.waitFor(() => tab.messages.some((m) => m.type === 'bytecode'), 'the bytecode');
    const bytecode = tab.messages.find((m) => m.type === 'bytecode');
    expect(bytecode?.type === 'bytecode' && bytecode.programs[0]?.name).toBe('hello_world');

    tab.send({ type: 'stop' });
    await tab.waitFor(() => tab.status().startsWith('stopped'), 'the probe to stop');
    const before = tab.trace;
    tab.send({ type: 'shell-input', data: 'ls /; date\r' });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(tab.trace).toBe(before);

    // A second tab of the same learner shares the sandbox and sees the shell's recent output.
    const second = await openTab();
    await second.waitFor(() => second.shell.includes('boot'), 'the shell replay');
    expect(lab.registry.size).toBe(1);
    second.close();
    tab.close();
  });

  it("says who holds the trace pipe when the learner's own reader runs (issue 9)", async () => {
    // Lesson 5 leaves `python3 hello_world.py &` reading trace_pipe: a Run's lines go to it.
    const tab = await openTab();
    await tab.waitFor(() => tab.status().startsWith('ready'), 'the sandbox to start');
    // Started, and holding the pipe (opened) before the Run: otherwise the Run's reader
    // could open it first, and the cat would fail instead.
    tab.send({
      type: 'shell-input',
      data:
        'cat /sys/kernel/debug/tracing/trace_pipe & until ls -l /proc/$!/fd | grep -q trace_pipe;' +
        ' do sleep 0.2; done; echo "holder-$((1+1))=$!"\r',
    });
    await tab.waitFor(() => /holder-2=\d+/.test(tab.shell), 'the cat to hold the pipe');
    const pid = /holder-2=(\d+)/.exec(tab.shell)?.[1];
    const holder = `cat /sys/kernel/debug/tracing/trace_pipe (pid ${pid}) is reading the kernel's trace buffer`;
    try {
      tab.send({ type: 'run', source: HELLO_WORLD, attach: [{ kind: 'kprobe', target: 'clone' }] });
      // Waited for, not read at once: on failure the wait says what the status, the trace and
      // the shell showed instead.
      await tab.waitFor(
        () => tab.status().startsWith('attached') && tab.status().includes(holder),
        'the probe to attach, with the status naming the reader',
        120_000,
      );
      expect(tab.status()).toContain(`kill ${pid}`);
      // Trace output comes in batches (16 ms) after the status, which is sent at once.
      await tab.waitFor(
        () => tab.trace.includes('is reading the kernel'),
        'the trace to name the reader',
        30_000,
      );
    } finally {
      // Never left holding the pipe for the tests after this one.
      tab.send({ type: 'shell-input', data: `kill ${pid}\r` });
    }
    await tab.waitFor(() => tab.trace.includes('free again'), 'the pipe to be free');
    expect(tab.status()).toContain('trace lines show here from now on');
    tab.send({ type: 'shell-input', data: 'ls /\r' });
    await tab.waitFor(() => tab.trace.includes('Hello World!!'), 'Hello World in the trace');
    tab.send({ type: 'stop' });
    await tab.waitFor(() => tab.status().startsWith('stopped'), 'the probe to stop');
    tab.close();
  });

  it('answers malformed, unknown and oversized messages with errors and keeps serving', async () => {
    const tab = await openTab();
    const errors = () => tab.messages.filter((m) => m.type === 'error');
    tab.send('not json');
    tab.send({ type: 'launch-missiles' });
    tab.send({ type: 'run', source: 42, attach: [] });
    tab.send({ type: 'shell-input', data: 'x'.repeat(300 * 1024) });
    await tab.waitFor(() => errors().length === 4, 'four error replies', 10_000);
    expect(errors().map((e) => e.type === 'error' && e.code)).toEqual([
      'malformed',
      'unknown-type',
      'malformed',
      'too-large',
    ]);
    // Still serving: an oversized probe source gets the source-size limit as a run error.
    tab.send({ type: 'run', source: `${HELLO_WORLD}//${'x'.repeat(70 * 1024)}`, attach: [] });
    await tab.waitFor(() => tab.messages.some((m) => m.type === 'run-error'), 'the limit error');
    const runError = tab.messages.find((m) => m.type === 'run-error');
    expect(runError?.type === 'run-error' && runError.message).toContain('64 KiB');
    tab.close();
  });

  it('runs the lesson checks: hints on the starter, all pass on the solution, lesson done', async () => {
    const lesson = await (
      await fetch(`${lab.url}/api/lessons/01-hello`, { headers: { cookie } })
    ).json();
    const starter = Object.fromEntries(
      lesson.files.map((f: { name: string; starter: string }) => [f.name, f.starter]),
    );
    const tab = await openTab();
    await tab.waitFor(() => tab.messages.some((m) => m.type === 'hello'), 'the hello');
    const results = () =>
      tab.messages.flatMap((m) =>
        m.type === 'check-result' && m.result.status !== 'running' ? [m.result] : [],
      );
    const done = () => tab.messages.filter((m) => m.type === 'check-done');

    tab.send({ type: 'check', lessonId: '01-hello', files: starter });
    await tab.waitFor(() => done().length === 1, 'the first check-done');
    expect(results().map((r) => r.status)).toEqual(['passed', 'failed', 'passed']);
    expect(results()[1]?.hint).toContain('bpf_trace_printk');
    expect(done()[0]).toMatchObject({ passed: false });

    const solved = { ...starter, 'hello_world.c': lesson.files[0].solution };
    tab.send({ type: 'check', lessonId: '01-hello', files: solved });
    await tab.waitFor(() => done().length === 2, 'the second check-done');
    expect(
      results()
        .slice(3)
        .map((r) => r.status),
    ).toEqual(['passed', 'passed', 'passed']);
    expect(done()[1]).toMatchObject({ passed: true });
    const course = await (await fetch(`${lab.url}/api/course`, { headers: { cookie } })).json();
    expect(course.lessons[0].state).toBe('done');
    tab.close();
  });

  it('counts a verifier rejection only for the lesson it was run in', async () => {
    const lesson = await (
      await fetch(`${lab.url}/api/lessons/02-verifier`, { headers: { cookie } })
    ).json();
    const { name, starter: rejected, solution: fixed } = lesson.files[0];
    const tab = await openTab();
    await tab.waitFor(() => tab.status().startsWith('ready'), 'the sandbox to start');
    const since = (from: number) => tab.messages.slice(from);
    const run = async (source: string, lessonId: string) => {
      const from = tab.messages.length;
      tab.send({ type: 'run', source, attach: [{ kind: 'kprobe', target: 'clone' }], lessonId });
      await tab.waitFor(
        () =>
          since(from).some((m) => m.type === 'run-error' || tab.status().startsWith('attached')),
        `the run in ${lessonId} to attach or fail`,
      );
      const error = since(from).find((m) => m.type === 'run-error');
      tab.send({ type: 'stop' });
      return error?.type === 'run-error' ? error.kind : 'attached';
    };
    const check = async () => {
      const from = tab.messages.length;
      tab.send({ type: 'check', lessonId: '02-verifier', files: { [name]: fixed } });
      await tab.waitFor(() => since(from).some((m) => m.type === 'check-done'), 'the check');
      const result = since(from).find(
        (m) => m.type === 'check-result' && m.result.status !== 'running',
      );
      return result?.type === 'check-result' ? result.result : undefined;
    };

    // Rejected while on another lesson, then passing here: this lesson saw no rejection.
    expect(await run(rejected, '01-hello')).toBe('verifier');
    expect(await run(fixed, '02-verifier')).toBe('attached');
    const first = await check();
    expect(first?.status).toBe('failed');
    expect(first?.detail).toContain('no run of yours has been rejected by the verifier yet');

    expect(await run(rejected, '02-verifier')).toBe('verifier');
    expect(await run(fixed, '02-verifier')).toBe('attached');
    expect((await check())?.status).toBe('passed');
    tab.close();
  });

  it('records progress per learner', async () => {
    const post = await fetch(`${lab.url}/api/progress/01-hello`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'started' }),
    });
    expect(post.status).toBe(204);
    const course = await (await fetch(`${lab.url}/api/course`, { headers: { cookie } })).json();
    // Done (from the checks above) never goes back to started.
    expect(course.lessons[0].state).toBe('done');
    const stranger = await (await fetch(`${lab.url}/api/course`)).json();
    expect(stranger.lessons[0].state).toBe('new');
  });
});

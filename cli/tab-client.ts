/**
 * A learner's browser tab reduced to its WebSocket, for the benches that drive a real lab server
 * (`bench --soak`, the browser Run of `bench`, `bench --learners`): a learner cookie from
 * /api/course as the page gets it, the page's Origin, trace and shell output acknowledged as the
 * page's terminals do (or the server's flow control would pause them), and the page's gestures —
 * compile-ahead while typing, Run, a command typed in the shell, Stop, Check — as the page sends
 * them.
 */
import { WebSocket } from 'ws';
import type {
  AttachChoice,
  CheckResult,
  ClientMessage,
  Phase,
  ServerMessage,
} from '../app/shared/protocol.js';
import { sourceDigest } from '../app/shared/source-digest.js';

/** A test over the messages: a value ends the wait, undefined waits on, a throw fails it. */
type MessageTest<T> = (message: ServerMessage | undefined) => T | undefined;

interface Waiter {
  test: (message: ServerMessage | undefined) => void;
  fail: (error: Error) => void;
}

export class TabClient {
  private readonly waiters = new Set<Waiter>();
  private closed = false;
  /** The latest status, as `phase: text`. */
  status = '';
  phase: Phase | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      if (message.type === 'status') {
        this.phase = message.phase;
        this.status = `${message.phase}: ${message.text}`;
      }
      if (message.type === 'trace')
        this.send({ type: 'ack', stream: 'trace', bytes: message.data.length });
      if (message.type === 'shell-output')
        this.send({ type: 'ack', stream: 'shell', bytes: message.data.length });
      for (const waiter of [...this.waiters]) waiter.test(message);
    });
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of [...this.waiters]) waiter.fail(new Error('the WebSocket closed'));
    });
    // A socket error is followed by `close`, which fails whatever waits.
    socket.on('error', () => {});
  }

  /** A new learner (a cookie of their own) opens the lab at `url` in a tab. */
  static async open(url: string): Promise<TabClient> {
    const res = await fetch(`${url}/api/course`, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`GET /api/course: HTTP ${res.status}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, {
      headers: { cookie, origin: url },
      handshakeTimeout: 30_000,
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new TabClient(socket)));
      socket.once('error', reject);
    });
  }

  send(message: ClientMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /**
   * The first value `test` gives, tried now (with no message) and at every message from now on;
   * rejects after `timeoutMs`, when `test` throws, or when the socket closes. Created before the
   * gesture it waits on, so an answer that comes at once is not missed.
   */
  waitFor<T>(test: MessageTest<T>, what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => waiter.fail(new Error(`no ${what} within ${timeoutMs / 1000} s (${this.status})`)),
        timeoutMs,
      );
      const end = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter: Waiter = {
        test: (message) => {
          let value: T | undefined;
          try {
            value = test(message);
          } catch (error) {
            waiter.fail(error as Error);
            return;
          }
          if (value === undefined) return;
          end();
          resolve(value);
        },
        fail: (error) => {
          end();
          reject(error);
        },
      };
      if (this.closed) return waiter.fail(new Error('the WebSocket is closed'));
      this.waiters.add(waiter);
      waiter.test(undefined);
    });
  }

  /** Every message from now on, to `listener`, until the returned function is called. */
  onMessage(listener: (message: ServerMessage) => void): () => void {
    const waiter: Waiter = { test: (message) => message && listener(message), fail: () => {} };
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }

  close(): void {
    this.socket.close();
  }
}

/** A sandbox start that fails (a busy machine) is retried, as a learner typing in the shell. */
const SANDBOX_ATTEMPTS = 3;
const SANDBOX_TIMEOUT_MS = 180_000;

/** Waits until the tab's sandbox is ready; resolves with the ms it took. */
export async function sandboxReady(
  tab: TabClient,
  report: (text: string) => void,
): Promise<number> {
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    const phase = await tab.waitFor(
      () => (tab.phase === 'ready' || tab.phase === 'error' ? tab.phase : undefined),
      'ready sandbox',
      SANDBOX_TIMEOUT_MS,
    );
    if (phase === 'ready') return Math.round(performance.now() - started);
    if (attempt === SANDBOX_ATTEMPTS) throw new Error(`no sandbox: ${tab.status}`);
    report(`${tab.status.split('\n')[0]}; trying again`);
    tab.phase = undefined;
    tab.send({ type: 'shell-input', data: '\r' });
  }
}

export interface RunPress {
  source: string;
  attach: AttachChoice[];
  /** The lesson the page shows, and its editor's files (saved before a Run, as the page does). */
  lessonId?: string;
  files?: Record<string, string>;
  /** Compile ahead first, as the page does while the learner types, and wait for its answer. */
  compileAhead: boolean;
  /** The line typed in the shell once attached, to make the probe fire. */
  trigger: string;
  /** Text of the trace line that counts as the probe's first. */
  expect: string;
  timeoutMs: number;
}

/**
 * Presses Run as the page does and waits for the probe's first trace line: resolves with the ms
 * from the Run's message to that line (the compile-ahead before it not counted). Throws, saying
 * where, when the Run fails or a stage does not come in time.
 */
export async function pressRun(tab: TabClient, press: RunPress): Promise<number> {
  const { source, timeoutMs } = press;
  if (press.compileAhead) {
    const digest = sourceDigest(source);
    const answered = tab.waitFor(
      (m) => {
        if (m?.type === 'status' && m.phase === 'error') {
          throw new Error(`the compile-ahead failed: ${m.text}`);
        }
        return m?.type === 'diagnostics' && m.source === digest ? true : undefined;
      },
      'answer to the compile-ahead',
      timeoutMs,
    );
    tab.send({ type: 'prepare', source, attach: press.attach });
    await answered;
  }
  if (press.files) tab.send({ type: 'save-files', files: press.files });
  const attached = tab.waitFor(
    (m) => {
      if (m?.type === 'run-error') throw new Error(`the Run failed (${m.kind}): ${m.message}`);
      // The sandbox failed under the Run (it could not start, or it was replaced as stuck).
      if (m?.type === 'status' && m.phase === 'error') throw new Error(`the Run failed: ${m.text}`);
      return m?.type === 'attached' ? true : undefined;
    },
    'attach',
    timeoutMs,
  );
  const firstLine = tab.waitFor(
    (m) => (m?.type === 'trace' && m.data.includes(press.expect) ? performance.now() : undefined),
    `trace line "${press.expect}"`,
    timeoutMs,
  );
  firstLine.catch(() => {}); // awaited below, unless the attach fails first
  const started = performance.now();
  tab.send({ type: 'run', source, attach: press.attach, lessonId: press.lessonId });
  await attached;
  tab.send({ type: 'shell-input', data: `${press.trigger}\r` });
  return Math.round((await firstLine) - started);
}

/** Presses Stop and waits until nothing is attached (a stop that never comes is not an error). */
export async function pressStop(tab: TabClient, timeoutMs: number): Promise<void> {
  const stopped = tab.waitFor(
    () => (tab.phase !== 'attached' ? true : undefined),
    'stop',
    timeoutMs,
  );
  tab.send({ type: 'stop' });
  await stopped.catch(() => {}); // a stop that never came shows as the next Run's failure
}

export interface CheckOutcome {
  ms: number;
  passed: boolean;
  /** The checks that failed: title and what the checker saw. */
  failed: string[];
}

/** Presses Check on `files` as the page does; resolves when the checks are done. */
export async function pressCheck(
  tab: TabClient,
  lessonId: string,
  files: Record<string, string>,
  timeoutMs: number,
): Promise<CheckOutcome> {
  const results = new Map<number, CheckResult>();
  const stopListening = tab.onMessage((m) => {
    if (m.type === 'check-result' && m.lessonId === lessonId) results.set(m.index, m.result);
  });
  try {
    const done = tab.waitFor(
      (m) => (m?.type === 'check-done' && m.lessonId === lessonId ? m : undefined),
      'end of the checks',
      timeoutMs,
    );
    tab.send({ type: 'save-files', files });
    const started = performance.now();
    tab.send({ type: 'check', lessonId, files });
    const verdict = await done;
    const failed = [...results.values()]
      .filter((r) => r.status === 'failed')
      .map((r) => (r.detail ? `${r.title}: ${r.detail}` : r.title));
    if (!verdict.passed && failed.length === 0) failed.push(tab.status);
    return { ms: Math.round(performance.now() - started), passed: verdict.passed, failed };
  } finally {
    stopListening();
  }
}

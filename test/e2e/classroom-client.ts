/**
 * The classroom's two other kinds of client, reduced to HTTP and WebSocket calls, for the
 * classroom tests with real sandboxes: the instructor (sign in with the instructor link's
 * secret, create a class, read its dashboard and export, watch the dashboard socket) and a
 * learner joining a class (a learner cookie, then the join code). Also: the qemu sandboxes a
 * server process has started, read from /proc, to show none outlives its learner.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import type {
  ClassDashboard,
  ClassExport,
  ClassSummary,
  JoinReply,
  TeachServerMessage,
} from '../../app/shared/classroom-api.js';
import { SANDBOX_PROCESS_NAME } from '../../runner/sandbox/qemu.js';
import { learnerCookie } from './lab-client.js';

/** A request as a page of the lab at `baseUrl` sends it: its Origin, JSON, the given cookie. */
export async function call(
  baseUrl: string,
  path: string,
  options: { cookie?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<Response> {
  const headers: Record<string, string> = { origin: baseUrl };
  if (options.cookie) headers.cookie = options.cookie;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${baseUrl}${path}`, {
    method: options.body === undefined ? 'GET' : 'POST',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
}

/** The reply's JSON; throws saying what came instead when the status is not `status`. */
export async function json<T>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  if (response.status !== status) {
    throw new Error(`${response.url}: HTTP ${response.status} (wanted ${status}): ${text}`);
  }
  return JSON.parse(text) as T;
}

/** Signs in with the secret in the instructor link's fragment; returns the instructor cookie. */
export async function signIn(baseUrl: string, instructorUrl: string): Promise<string> {
  const secret = new URL(instructorUrl).hash.slice(1);
  const response = await call(baseUrl, '/api/instructor/session', { body: { secret } });
  await json(response);
  const cookie = response.headers
    .getSetCookie()
    .find((c) => c.startsWith('ebpf_lab_instructor='))
    ?.split(';')[0];
  if (!cookie) throw new Error('signing in set no instructor cookie');
  return cookie;
}

export async function createClass(
  baseUrl: string,
  instructor: string,
  name: string,
): Promise<ClassSummary> {
  return json<ClassSummary>(
    await call(baseUrl, '/api/teach/classes', { cookie: instructor, body: { name } }),
    201,
  );
}

/** A new learner (a fresh cookie) who joins the class with `code` as `name`. */
export async function joinAsNewLearner(
  baseUrl: string,
  code: string,
  name: string,
): Promise<{ cookie: string; join: JoinReply }> {
  const cookie = await learnerCookie(baseUrl);
  const join = await json<JoinReply>(
    await call(baseUrl, '/api/classes/join', { cookie, body: { code, name } }),
  );
  return { cookie, join };
}

export async function dashboardOf(
  baseUrl: string,
  instructor: string,
  classId: number,
): Promise<ClassDashboard> {
  return json<ClassDashboard>(
    await call(baseUrl, `/api/teach/classes/${classId}`, { cookie: instructor }),
  );
}

export async function exportOf(
  baseUrl: string,
  instructor: string,
  classId: number,
): Promise<ClassExport> {
  return json<ClassExport>(
    await call(baseUrl, `/api/teach/classes/${classId}/export.json`, { cookie: instructor }),
  );
}

/** The instructor's dashboard page, reduced to its WebSocket: every dashboard pushed, timed. */
export class DashboardSocket {
  readonly received: { at: number; dashboard: ClassDashboard }[] = [];
  readonly errors: string[] = [];
  closed = false;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as TeachServerMessage;
      if (message.type === 'dashboard') {
        this.received.push({ at: performance.now(), dashboard: message.dashboard });
      } else {
        this.errors.push(message.message);
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  /** Opens `/ws/teach` with the instructor cookie and watches class `classId`. */
  static async watch(baseUrl: string, instructor: string, classId: number) {
    const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws/teach`, {
      headers: { cookie: instructor, origin: baseUrl },
      handshakeTimeout: 30_000,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`dashboard WebSocket refused: HTTP ${res.statusCode}`)),
      );
      socket.once('error', reject);
    });
    const watcher = new DashboardSocket(socket);
    watcher.socket.send(JSON.stringify({ type: 'watch', classId }));
    return watcher;
  }

  /** Asks for the class again: the server answers with its dashboard at once. */
  rewatch(classId: number): void {
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: 'watch', classId }));
    }
  }

  latest(): ClassDashboard | undefined {
    return this.received.at(-1)?.dashboard;
  }

  /** Waits for a pushed dashboard that satisfies `predicate`; returns it. */
  async waitFor(
    predicate: (dashboard: ClassDashboard) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<ClassDashboard> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.findLast(({ dashboard }) => predicate(dashboard));
      if (found) return found.dashboard;
      if (this.closed) throw new Error(`the dashboard socket closed while waiting for ${what}`);
      if (Date.now() > deadline) {
        throw new Error(
          `no dashboard pushed within ${timeoutMs / 1000} s showed ${what}; the last: ` +
            JSON.stringify(this.latest()?.learners.map((l) => [l.name, l.activity, l.runs])),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * pids of the qemu sandboxes (`-name ebpf-lab-sandbox,…`) whose parent is process `parent`:
 * its children, as each of its threads lists them in /proc, then their command lines.
 */
export function sandboxProcessesOf(parent: number): number[] {
  const children = new Set<number>();
  try {
    for (const thread of readdirSync(`/proc/${parent}/task`)) {
      const listed = readFileSync(`/proc/${parent}/task/${thread}/children`, 'utf8');
      for (const pid of listed.split(' ').filter(Boolean)) children.add(Number(pid));
    }
  } catch {
    // the parent (or a thread of it) exited meanwhile
  }
  return [...children].filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.some((arg) => arg.startsWith(SANDBOX_PROCESS_NAME));
    } catch {
      return false; // exited meanwhile
    }
  });
}

/** Whether process `pid` still exists (a zombie counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export async function until(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

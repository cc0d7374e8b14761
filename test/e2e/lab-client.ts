/**
 * A browser tab of the lab, reduced to its WebSocket: a learner cookie from /api/course, the
 * page's own Origin, trace and shell output acknowledged as the client does. The web server
 * test drives a local lab with it, the Vagrant VM test the lab in the VM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { ServerMessage } from '../../app/shared/protocol.js';
import { PACKAGE_ROOT } from '../../runner/paths.js';

export async function learnerCookie(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/course`, { signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`GET /api/course: HTTP ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  if (!cookie) throw new Error('GET /api/course set no cookie');
  return cookie;
}

export class LabTab {
  readonly messages: ServerMessage[] = [];
  trace = '';
  shell = '';
  closed = false;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      this.messages.push(message);
      if (message.type === 'trace') {
        this.trace += message.data;
        this.send({ type: 'ack', stream: 'trace', bytes: message.data.length });
      }
      if (message.type === 'shell-output') {
        this.shell += message.data;
        this.send({ type: 'ack', stream: 'shell', bytes: message.data.length });
      }
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {});
  }

  /** `headers` add to or replace the cookie and Origin a tab of `baseUrl` sends. */
  static open(
    baseUrl: string,
    cookie: string,
    headers: Record<string, string> = {},
  ): Promise<LabTab> {
    const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws`, {
      headers: { cookie, origin: baseUrl, ...headers },
      handshakeTimeout: 30_000,
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new LabTab(socket)));
      socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`WebSocket upgrade refused: HTTP ${res.statusCode}`)),
      );
      socket.once('error', reject);
    });
  }

  /** Sends `message` as JSON; a string goes as it is (to test malformed frames). */
  send(message: unknown): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  status(): string {
    const last = this.messages.filter((m) => m.type === 'status').at(-1);
    return last?.type === 'status' ? `${last.phase}: ${last.text}` : '';
  }

  async waitFor(predicate: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs / 1000} s waiting for ${what}; status "${this.status()}", ` +
            `trace ${JSON.stringify(this.trace.slice(-500))}, shell ${JSON.stringify(this.shell.slice(-500))}`,
        );
      }
      if (this.closed) throw new Error(`the WebSocket closed while waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  close(): void {
    this.socket.close();
  }
}

/** GET /healthz until it answers ok (or `timeoutMs` passes); returns its JSON. */
export async function waitForHealthz(
  baseUrl: string,
  timeoutMs: number,
): Promise<{ ok: boolean; sessions: number; lessons: number }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    try {
      const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(10_000) });
      const body = await res.text();
      last = `HTTP ${res.status}: ${body.slice(0, 200)}`;
      if (res.ok) return JSON.parse(body);
    } catch (error) {
      last = (error as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`${baseUrl}/healthz did not answer ok within ${timeoutMs / 1000} s: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/**
 * `ebpf-lab serve` in a process of its own, so its event loop and memory are its own. Its data
 * directory (lab.db) is a fresh one, removed on stop: never the user's.
 */
export async function startServeProcess(
  lessonsDir: string,
): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-serve-data-'));
  const server = spawn(
    process.execPath,
    [join(PACKAGE_ROOT, 'bin', 'ebpf-lab.js'), 'serve', '--port', '0', '--lessons', lessonsDir],
    {
      env: { ...process.env, EBPF_LAB_WARM_SANDBOXES: '0', EBPF_LAB_DATA: dataDir },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const stop = async () => {
    if (server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout?.on('data', (chunk) => {
        out += chunk;
        const match = /ebpf-lab ready at (\S+)/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
    return { url, pid: server.pid as number, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

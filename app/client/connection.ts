/**
 * The lab's WebSocket, one per tab: sends typed client messages, hands parsed server messages to
 * the page, and reconnects by itself with a growing delay when the connection drops. The server
 * sends `hello` first; its session id is kept for this tab and offered again on reconnect (and
 * after a reload or a move to another lesson) so the server can reattach the same sandbox.
 */
import type { ClientMessage, ServerMessage } from '../shared/protocol.js';
import { session } from './storage.js';

export type ConnectionState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'waiting'; attempt: number; delayMs: number; reason: string | null };

export interface ConnectionHandlers {
  message(message: ServerMessage): void;
  state(state: ConnectionState): void;
}

const SESSION_KEY = 'ebpf-lab:session';
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/** Doubling delays with ±20% jitter, so many tabs of a restarted server do not retry in step. */
export function backoffDelay(failures: number): number {
  const base = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** What the server said when it closed the connection, if anything worth showing. */
function closeReason(event: CloseEvent): string | null {
  if (event.reason) return event.reason;
  if (event.code === 1001) return 'the server is going away';
  return null;
}

export class Connection {
  private socket: WebSocket | null = null;
  /** Connection attempts since the last `hello`; drives the backoff. */
  private failures = 0;
  private retryTimer: number | undefined;

  constructor(private readonly handlers: ConnectionHandlers) {}

  start(): void {
    // Coming back online or to the tab is a good moment not to wait for the timer.
    window.addEventListener('online', () => this.retryNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.retryNow();
    });
    this.connect();
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Sends one message; false (and nothing sent) while disconnected. */
  send(message: ClientMessage): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  private url(): string {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const sessionId = session.get(SESSION_KEY);
    const query = sessionId ? `?session=${encodeURIComponent(sessionId)}` : '';
    return `${scheme}//${location.host}/ws${query}`;
  }

  private connect(): void {
    this.failures += 1;
    this.handlers.state({ kind: 'connecting', attempt: this.failures });
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url());
    } catch (err) {
      this.scheduleRetry((err as Error).message);
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (this.socket === socket) this.handlers.state({ kind: 'open' });
    });
    socket.addEventListener('message', (event) => {
      if (this.socket === socket) this.receive(event.data);
    });
    // An 'error' event is always followed by 'close', which schedules the retry.
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.scheduleRetry(closeReason(event));
    });
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      console.warn('[ebpf-lab] ignored a frame that is not JSON');
      return;
    }
    if (typeof message !== 'object' || message === null || typeof message.type !== 'string') return;
    if (message.type === 'hello') {
      this.failures = 0;
      session.set(SESSION_KEY, message.sessionId);
    }
    try {
      this.handlers.message(message);
    } catch (err) {
      // One bad message must not take the page down; the console keeps the details.
      console.error('[ebpf-lab] failed to handle a server message', message.type, err);
    }
  }

  private scheduleRetry(reason: string | null): void {
    const delayMs = backoffDelay(this.failures);
    this.handlers.state({ kind: 'waiting', attempt: this.failures, delayMs, reason });
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delayMs);
  }

  private retryNow(): void {
    if (this.socket || this.retryTimer === undefined) return;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.connect();
  }
}

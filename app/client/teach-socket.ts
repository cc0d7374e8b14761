/**
 * The class dashboard's WebSocket (`/ws/teach`): says which class it watches and hands each
 * pushed dashboard to the page. It reconnects by itself with the lab tab's backoff (a restarted
 * server, a laptop waking up) and watches again; when the server refuses or ends the instructor
 * session it stops and says so, since retrying cannot help.
 */
import type { ClassDashboard, TeachServerMessage } from '../shared/classroom-api.js';
import type { TeachClientMessage } from '../shared/classroom-requests.js';
import { fetchInstructorSession } from './class-api.js';
import { backoffDelay } from './connection.js';

export type TeachSocketState =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'live' }
  | { kind: 'waiting'; delayMs: number }
  | { kind: 'signed-out' };

export interface TeachSocketHandlers {
  dashboard(dashboard: ClassDashboard): void;
  state(state: TeachSocketState): void;
  error(message: string): void;
}

/** RFC 6455 policy violation: the server's word that the instructor session ended. */
const CLOSE_POLICY = 1008;

export class TeachSocket {
  private socket: WebSocket | null = null;
  private failures = 0;
  private retryTimer: number | undefined;
  private stopped = false;

  constructor(
    private readonly classId: number,
    private readonly handlers: TeachSocketHandlers,
  ) {}

  start(): void {
    window.addEventListener('online', () => this.retryNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.retryNow();
    });
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    this.failures += 1;
    this.handlers.state({ kind: 'connecting', attempt: this.failures });
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    let socket: WebSocket;
    try {
      socket = new WebSocket(`${scheme}//${location.host}/ws/teach`);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      const watch: TeachClientMessage = { type: 'watch', classId: this.classId };
      socket.send(JSON.stringify(watch));
    });
    socket.addEventListener('message', (event) => {
      if (this.socket === socket) this.receive(event.data);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (event.code === CLOSE_POLICY) return this.signedOut();
      // A refused upgrade looks like any lost connection (1006): ask whether we are signed in.
      void fetchInstructorSession().then(
        (session) => (session.instructor ? this.scheduleRetry() : this.signedOut()),
        () => this.scheduleRetry(),
      );
    });
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: TeachServerMessage;
    try {
      message = JSON.parse(data) as TeachServerMessage;
    } catch {
      return;
    }
    if (message.type === 'dashboard') {
      this.failures = 0;
      this.handlers.state({ kind: 'live' });
      this.handlers.dashboard(message.dashboard);
    } else if (message.type === 'error') {
      this.handlers.error(message.message);
    }
  }

  private signedOut(): void {
    this.stopped = true;
    this.handlers.state({ kind: 'signed-out' });
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const delayMs = backoffDelay(this.failures);
    this.handlers.state({ kind: 'waiting', delayMs });
    window.clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delayMs);
  }

  private retryNow(): void {
    if (this.stopped || this.socket || this.retryTimer === undefined) return;
    window.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.connect();
  }
}

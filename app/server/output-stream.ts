/**
 * Terminal output to one browser tab, with flow control (after WeTTY): output is batched for a
 * few milliseconds into one frame; the tab acknowledges bytes once xterm has written them;
 * while more than HIGH_WATER bytes are unacknowledged, output queues, and past QUEUE_CAP it is
 * dropped and counted. When the tab catches up (below LOW_WATER) the queue drains, followed by
 * one "output truncated" note, so a flood of trace lines cannot freeze the tab or the server.
 *
 * Acknowledgements are the tab's word, and a hostile tab can acknowledge what it never read
 * while leaving the socket unread: so what the socket itself still holds (its backlog) counts
 * as unacknowledged too. Whatever a tab does, it costs the server at most about
 * highWater + queueCap + one batch per stream.
 */

export interface FlowLimits {
  batchMs: number;
  highWater: number;
  lowWater: number;
  queueCap: number;
}

export const DEFAULT_FLOW: FlowLimits = Object.freeze({
  batchMs: 16,
  highWater: 256 * 1024,
  lowWater: 64 * 1024,
  queueCap: 1024 * 1024,
});

export interface OutputSink {
  data(text: string): void;
  truncated(droppedBytes: number): void;
  /** Bytes handed to the transport that it has not sent yet (a WebSocket's bufferedAmount). */
  backlog?(): number;
}

/** How often a stream held back by its socket's backlog (not by acks) looks again. */
const BACKLOG_RETRY_MS = 50;

export class OutputStream {
  private batch = '';
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private unacked = 0;
  private readonly queue: string[] = [];
  private queued = 0;
  private dropped = 0;

  constructor(
    private readonly sink: OutputSink,
    private readonly limits: FlowLimits = DEFAULT_FLOW,
  ) {}

  write(text: string): void {
    if (text === '') return;
    this.batch += text;
    this.timer ??= setTimeout(() => this.flush(), this.limits.batchMs);
  }

  /** The tab has written `bytes` more. */
  ack(bytes: number): void {
    this.unacked = Math.max(0, this.unacked - bytes);
    if (this.unacked <= this.limits.lowWater) this.drain();
  }

  /** Bytes sent but not yet acknowledged (for tests and diagnostics). */
  get inFlight(): number {
    return this.unacked;
  }

  dispose(): void {
    clearTimeout(this.timer);
    clearTimeout(this.retry);
    this.timer = undefined;
    this.retry = undefined;
    this.queue.length = 0;
    this.queued = 0;
    this.batch = '';
  }

  /** Whether the tab is too far behind to be sent more now. */
  private get behind(): boolean {
    const backlog = this.sink.backlog?.() ?? 0;
    return this.unacked > this.limits.highWater || backlog > this.limits.highWater;
  }

  private flush(): void {
    this.timer = undefined;
    const text = this.batch;
    this.batch = '';
    if (this.behind || this.queue.length > 0) {
      this.enqueue(text);
      this.scheduleRetry();
    } else {
      this.send(text);
    }
  }

  /** Acks wake a stream held by acks; one held by its socket's backlog must look again itself. */
  private scheduleRetry(): void {
    if (!this.sink.backlog) return;
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      if (this.unacked <= this.limits.lowWater) this.drain();
      if (this.queue.length > 0) this.scheduleRetry();
    }, BACKLOG_RETRY_MS);
  }

  private enqueue(text: string): void {
    if (this.queued + text.length > this.limits.queueCap) {
      this.dropped += text.length;
      return;
    }
    this.queue.push(text);
    this.queued += text.length;
  }

  private drain(): void {
    while (this.queue.length > 0 && !this.behind) {
      const text = this.queue.shift() as string;
      this.queued -= text.length;
      this.send(text);
    }
    if (this.queue.length === 0 && this.dropped > 0) {
      this.sink.truncated(this.dropped);
      this.dropped = 0;
    }
  }

  private send(text: string): void {
    this.unacked += text.length;
    this.sink.data(text);
  }
}

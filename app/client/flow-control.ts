/**
 * Flow control for the two terminals. The server pauses a stream while too much of it is
 * unacknowledged, so a flood of trace output cannot outrun the browser. The page acknowledges
 * what xterm has actually written (its write callback), batched so that acks do not become a
 * flood of their own: at most one per stream every 50 ms, or at once when 32 KiB are pending.
 */
import type { ClientMessage } from '../shared/protocol.js';

export type Stream = 'trace' | 'shell';

const FLUSH_INTERVAL_MS = 50;
const FLUSH_BYTES = 32 * 1024;

export class AckBatcher {
  private readonly pending: Record<Stream, number> = { trace: 0, shell: 0 };
  private timer: number | undefined;
  /** Bumped on reconnect: output of the previous connection is not acked on the new one. */
  private generation = 0;

  constructor(private readonly send: (message: ClientMessage) => void) {}

  /** A callback for xterm's `write(data, callback)`: acks `bytes` of `stream` once written. */
  track(stream: Stream, bytes: number): () => void {
    const generation = this.generation;
    return () => {
      if (generation === this.generation) this.written(stream, bytes);
    };
  }

  /** Forgets what is pending: a new connection starts its flow-control windows afresh. */
  reset(): void {
    this.generation += 1;
    this.pending.trace = 0;
    this.pending.shell = 0;
    window.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private written(stream: Stream, bytes: number): void {
    if (bytes <= 0) return;
    this.pending[stream] += bytes;
    if (this.pending[stream] >= FLUSH_BYTES) this.flush();
    else if (this.timer === undefined) {
      this.timer = window.setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
    }
  }

  private flush(): void {
    window.clearTimeout(this.timer);
    this.timer = undefined;
    for (const stream of ['trace', 'shell'] as const) {
      const bytes = this.pending[stream];
      if (bytes === 0) continue;
      this.pending[stream] = 0;
      this.send({ type: 'ack', stream, bytes });
    }
  }
}

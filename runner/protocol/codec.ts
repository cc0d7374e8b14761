/**
 * Framing for the agent protocol: one JSON message per line (NDJSON), the same over a
 * virtio-serial port, a child's stdio or SSH. Decoding is defensive: the peer is untrusted,
 * so an oversized or malformed line becomes an error value, never an exception.
 */
import { AgentMessage, type HostMessage } from './messages.js';

export function encodeMessage(message: HostMessage | AgentMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** Splits a byte stream into lines, refusing any line longer than `maxLineBytes`. */
export class LineDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(private readonly maxLineBytes: number) {}

  /** Returns the complete lines in `chunk` (plus what was pending); `null` marks an oversized line. */
  push(chunk: Buffer): (string | null)[] {
    const lines: (string | null)[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.discarding || this.pendingBytes + piece.length > this.maxLineBytes) {
        if (!this.discarding) lines.push(null);
        this.discarding = false;
      } else {
        lines.push(Buffer.concat([...this.pending, piece]).toString('utf8'));
      }
      this.pending = [];
      this.pendingBytes = 0;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0 && !this.discarding) {
      if (this.pendingBytes + rest.length > this.maxLineBytes) {
        // Report the oversized line once, now, and drop bytes until its newline arrives.
        lines.push(null);
        this.discarding = true;
        this.pending = [];
        this.pendingBytes = 0;
      } else {
        this.pending.push(Buffer.from(rest));
        this.pendingBytes += rest.length;
      }
    }
    return lines;
  }
}

export type Decoded<T> = { ok: true; message: T } | { ok: false; error: string };

export function decodeAgentMessage(line: string): Decoded<AgentMessage> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    return { ok: false, error: `not JSON: ${(cause as Error).message}` };
  }
  const parsed = AgentMessage.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, error: `invalid agent message${where}: ${issue?.message ?? 'unknown'}` };
}

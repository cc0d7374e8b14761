/**
 * The host's end of the agent protocol over any byte stream (a qemu socket, a child's stdio).
 * Every incoming line is validated: the guest runs untrusted code as root, so nothing it sends
 * is acted on unless it matches the declared messages. Invalid lines are counted and dropped.
 */
import type { Readable, Writable } from 'node:stream';
import { LIMITS } from './limits.js';
import { decodeAgentMessage, encodeMessage, LineDecoder } from './protocol/codec.js';
import {
  type AgentMessage,
  type AgentMessageOf,
  type HostMessage,
  PROTOCOL_VERSION,
} from './protocol/messages.js';

export type AgentListener = (message: AgentMessage) => void;

/** Hello is repeated until answered: a short interval, since boot time waits on it. */
const HELLO_INTERVAL_MS = 100;

export class AgentConnectionClosed extends Error {}

export class AgentConnection {
  private readonly listeners = new Set<AgentListener>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private readonly decoder = new LineDecoder(LIMITS.messageBytes.value);
  private closedReason: string | undefined;
  private resolveClosed!: (reason: string) => void;
  /** Resolves with a reason when the stream ends: the sandbox is gone. */
  readonly closed: Promise<string> = new Promise((resolve) => {
    this.resolveClosed = resolve;
  });
  /** Lines from the agent that were not valid protocol messages (most recent last). */
  readonly invalid: string[] = [];

  constructor(
    input: Readable,
    private readonly output: Writable,
  ) {
    input.on('data', (chunk: Buffer) => this.receive(chunk));
    input.on('end', () => this.close('the agent closed the connection'));
    input.on('error', (error) => this.close(`connection error: ${error.message}`));
    output.on('error', (error) => this.close(`connection error: ${error.message}`));
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Bytes written toward the agent that it has not taken yet: the guest's backlog. */
  get pendingBytes(): number {
    return this.output.writableLength;
  }

  /**
   * Calls `listener` once when the connection closes (at once if it has); returns the
   * unsubscribe function. Unlike `closed.then`, a waiter that finishes first lets go of what
   * its callback holds, so thousands of requests over a sandbox's life do not pile up.
   */
  onClose(listener: (reason: string) => void): () => void {
    if (this.closedReason !== undefined) {
      const reason = this.closedReason;
      queueMicrotask(() => listener(reason));
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  send(message: HostMessage): void {
    if (this.closedReason !== undefined) throw new AgentConnectionClosed(this.closedReason);
    this.output.write(encodeMessage(message));
  }

  /** Subscribes to every valid agent message; returns the unsubscribe function. */
  onMessage(listener: AgentListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Waits for the first message of `type` matching `where`, or rejects on timeout/close. */
  waitFor<T extends AgentMessage['type']>(
    type: T,
    where: (message: AgentMessageOf<T>) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<AgentMessageOf<T>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        offClose();
        reject(new Error(`no ${type} from the agent within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.onMessage((message) => {
        if (message.type === type && where(message as AgentMessageOf<T>)) {
          clearTimeout(timer);
          off();
          offClose();
          resolve(message as AgentMessageOf<T>);
        }
      });
      const offClose = this.onClose((reason) => {
        clearTimeout(timer);
        off();
        reject(new AgentConnectionClosed(reason));
      });
    });
  }

  /**
   * Says hello until the agent answers `ready`. Repeating matters: the guest may still be
   * booting when we connect, and a virtio port drops what arrives before the agent opens it.
   */
  async handshake(timeoutMs: number): Promise<AgentMessageOf<'ready'>> {
    const hello = () => this.send({ type: 'hello', protocolVersion: PROTOCOL_VERSION });
    const versionError = this.waitFor('error', (m) => m.code === 'version', timeoutMs).then(
      (m) => Promise.reject(new Error(m.message)),
      () => new Promise<never>(() => {}),
    );
    hello();
    const timer = setInterval(hello, HELLO_INTERVAL_MS);
    try {
      const ready = await Promise.race([
        this.waitFor('ready', () => true, timeoutMs),
        versionError,
      ]);
      if (ready.protocolVersion !== PROTOCOL_VERSION) {
        throw new Error(
          `the guest agent speaks protocol ${ready.protocolVersion}, the host ${PROTOCOL_VERSION}: rebuild the image`,
        );
      }
      return ready;
    } finally {
      clearInterval(timer);
    }
  }

  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.resolveClosed(reason);
    for (const listener of [...this.closeListeners]) listener(reason);
    this.closeListeners.clear();
  }

  private receive(chunk: Buffer): void {
    for (const line of this.decoder.push(chunk)) {
      if (line === null) {
        this.rememberInvalid(`(a line over ${LIMITS.messageBytes.value} bytes)`);
        continue;
      }
      if (line.trim() === '') continue;
      const decoded = decodeAgentMessage(line);
      if (!decoded.ok) {
        this.rememberInvalid(`${decoded.error}: ${line.slice(0, 200)}`);
        continue;
      }
      for (const listener of [...this.listeners]) listener(decoded.message);
    }
  }

  private rememberInvalid(text: string): void {
    this.invalid.push(text);
    if (this.invalid.length > 20) this.invalid.shift();
  }
}

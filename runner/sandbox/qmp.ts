/**
 * A minimal QMP (QEMU Machine Protocol) client over a unix socket: enough to save a template
 * (stop, migrate to a file descriptor) and to restore one (set a migration capability, start
 * the incoming migration, wait for it to finish). One command at a time; events are ignored.
 */
import { connect, type Socket } from 'node:net';

export class QmpError extends Error {}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

export class QmpClient {
  private buffer = '';
  private readonly queue: Pending[] = [];
  private closed: string | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk.toString('utf8')));
    socket.on('close', () => this.fail('the QMP socket closed'));
    socket.on('error', (error) => this.fail(`QMP socket error: ${error.message}`));
  }

  /** Connects (retrying while qemu creates the socket) and leaves capabilities negotiation. */
  static async connect(
    path: string,
    timeoutMs: number,
    isAlive: () => boolean,
  ): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        });
        const client = new QmpClient(socket);
        // The greeting comes first, unasked: queue a reader for it, then negotiate.
        await new Promise((resolve, reject) => client.queue.push({ resolve, reject }));
        await client.execute('qmp_capabilities');
        return client;
      } catch (error) {
        if (!isAlive() || Date.now() > deadline) {
          throw new QmpError(`cannot talk to qemu's QMP socket: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new QmpError(this.closed));
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.socket.write(
        `${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`,
      );
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(text: string): void {
    this.buffer += text;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      let reply: { QMP?: unknown; return?: unknown; error?: { desc?: string }; event?: string };
      try {
        reply = JSON.parse(line);
      } catch {
        // qemu writes only JSON here; a broken line means a broken qemu: fail what waits.
        this.fail(`qemu wrote a non-JSON QMP line: ${line.slice(0, 200)}`);
        return;
      }
      if (reply.event) continue;
      const waiter = this.queue.shift();
      if (!waiter) continue;
      if (reply.error) waiter.reject(new QmpError(reply.error.desc ?? JSON.stringify(reply.error)));
      else waiter.resolve(reply.QMP ?? reply.return);
    }
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.closed = reason;
    for (const waiter of this.queue.splice(0)) waiter.reject(new QmpError(reason));
  }
}

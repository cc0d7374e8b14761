/**
 * A sandbox with nothing inside, for tests of the server side: its agent speaks through a
 * stream the test writes to (`emit`), it records what the host sent (`sent`), answers file
 * writes, beats like the real agent, and hands every message to `respond` (a test's stand-in
 * for the guest: e.g. runs that fail or attach).
 */
import { PassThrough } from 'node:stream';
import type { SandboxSource } from '../app/server/session.js';
import { AgentConnection } from '../runner/agent-connection.js';
import type { AgentMessage, HostMessage } from '../runner/protocol/messages.js';
import type { Sandbox, SandboxExit } from '../runner/sandbox/sandbox.js';

/** What a test's guest does with a message from the host. */
export type FakeGuest = (message: HostMessage, sandbox: FakeSandbox) => void;

export class FakeSandbox implements Sandbox {
  readonly mode = 'tcg' as const;
  readonly kernel = '6.1.0-fake';
  readonly bootMs = 1;
  readonly pid = 4242;
  readonly agent: AgentConnection;
  readonly sent: HostMessage[] = [];
  readonly exited: Promise<SandboxExit>;
  private readonly fromAgent = new PassThrough();
  private resolveExit!: (exit: SandboxExit) => void;
  private alive = true;
  /** Like the real agent: a heartbeat every 2 s listing the open shells, until `silence`. */
  private readonly shells = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private agentId = 'agent-1';
  private seq = 0;
  /** Pretend the guest reads nothing: what is sent stays in the connection's buffer. */
  backlogBytes = 0;
  /** Learner waits under way (`favour` calls not yet ended). */
  favoured = 0;

  constructor(private readonly guest: FakeGuest = () => {}) {
    const toAgent = new PassThrough();
    toAgent.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        const message = JSON.parse(line) as HostMessage;
        this.sent.push(message);
        if (message.type === 'shell-open') this.shells.add(message.id);
        if (message.type === 'write-file') this.emit({ type: 'file-written', id: message.id });
        // A real guest answers later, never inside the host's write.
        setImmediate(() => this.guest(message, this));
      }
    });
    this.agent = new AgentConnection(this.fromAgent, toAgent);
    Object.defineProperty(this.agent, 'pendingBytes', { get: () => this.backlogBytes });
    this.heartbeat = setInterval(() => this.beat(), 2000);
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  favour(): () => void {
    this.favoured++;
    let ended = false;
    return () => {
      if (!ended) this.favoured--;
      ended = true;
    };
  }

  get isAlive(): boolean {
    return this.alive;
  }

  async stop(): Promise<void> {
    this.end('stopped');
  }

  /** A message as if the guest agent had sent it. */
  emit(message: AgentMessage): void {
    this.fromAgent.write(`${JSON.stringify(message)}\n`);
  }

  crash(): void {
    this.end('crashed');
  }

  /** The agent stops answering (a guest out of memory): no heartbeats from now on. */
  silence(): void {
    clearInterval(this.heartbeat);
  }

  /** The agent was killed and respawned: a new agent, without the old one's shells. */
  respawnAgent(): void {
    this.agentId = 'agent-2';
    this.shells.clear();
    this.beat();
  }

  private beat(): void {
    this.emit({
      type: 'heartbeat',
      agent: this.agentId,
      seq: this.seq++,
      shells: [...this.shells],
      memAvailableKiB: 500_000,
    });
  }

  private end(reason: SandboxExit['reason']): void {
    if (!this.alive) return;
    this.alive = false;
    clearInterval(this.heartbeat);
    this.agent.close('gone');
    this.resolveExit({ reason, detail: reason });
  }
}

export class FakeSource implements SandboxSource {
  readonly started: FakeSandbox[] = [];
  constructor(private readonly guest?: FakeGuest) {}
  async acquire(): Promise<Sandbox> {
    const sandbox = new FakeSandbox(this.guest);
    this.started.push(sandbox);
    return sandbox;
  }
}

/**
 * A guest for the classroom's tests: compiles ahead without complaint; a run whose source says
 * BAD is rejected by the verifier, others attach, and one that says PRINT prints a trace line.
 */
export const classroomGuest: FakeGuest = (message, sandbox) => {
  switch (message.type) {
    case 'prepare':
      sandbox.emit({
        type: 'prepared',
        id: message.id,
        cached: false,
        compilerLog: '',
        error: null,
      });
      break;
    case 'run':
      if (message.source.includes('BAD')) {
        sandbox.emit({
          type: 'run-error',
          id: message.id,
          kind: 'verifier',
          message: 'The verifier rejected the program.',
          log: "R1 invalid mem access 'scalar'\nprocessed 2 insns",
        });
        sandbox.emit({ type: 'run-stopped', id: message.id, reason: 'error' });
        break;
      }
      sandbox.emit({
        type: 'run-attached',
        id: message.id,
        probes: [{ kind: 'kprobe', event: '__x64_sys_clone', fn: 'hello_world' }],
        compilerLog: '',
      });
      if (message.source.includes('PRINT')) {
        const line = '  bash-42 [000] 1.0: bpf_trace_printk: Hello from PRINT';
        sandbox.emit({ type: 'trace', id: message.id, lines: [line], dropped: 0 });
      }
      break;
    case 'dump-programs':
      sandbox.emit({ type: 'programs', id: message.id, programs: [] });
      break;
    case 'unload-program':
      sandbox.emit({ type: 'program-unloaded', id: message.id, unloaded: false });
      break;
    case 'stop':
      sandbox.emit({ type: 'run-stopped', id: message.id, reason: 'requested' });
      break;
  }
};

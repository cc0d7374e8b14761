/**
 * What a probe hands to user space, seen from the host in a real sandbox: events through perf
 * buffers (the "Learning eBPF" book's hello-buffer) and ring buffers, decoded with their
 * struct's field names, and maps read while the probe runs and after. And the lab keeps out of
 * the learner's measurements: lesson 10's counts hold the learner's trigger, not the lab's own
 * bytecode dump, trace reading or agent (or only marked as the lab's).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { dumpPrograms } from '../../runner/probe/bytecode.js';
import { ProbeRun, type ProbeRunEvent } from '../../runner/probe/probe-run.js';
import type { CValue, MapSnapshot } from '../../runner/protocol/messages.js';
import { execInSandbox } from '../../runner/sandbox/exec.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { type Sandbox, SandboxError } from '../../runner/sandbox/sandbox.js';
import { runProbe } from './helpers.js';

const fixture = (name: string) =>
  readFileSync(join(PACKAGE_ROOT, 'test', 'e2e', 'fixtures', name), 'utf8');
const LESSON_10 = readFileSync(
  join(PACKAGE_ROOT, 'lessons', '10-maps', 'solution', 'count_opens.c'),
  'utf8',
);
// What a learner counting program starts would write: execs by the new program's name.
const COUNT_EXECS = `struct key_t { char comm[16]; };
BPF_HASH(execs, struct key_t, u64);

TRACEPOINT_PROBE(sched, sched_process_exec) {
    struct key_t key = {};
    bpf_get_current_comm(&key.comm, sizeof(key.comm));
    execs.increment(key);
    return 0;
}
`;
const LAB_TOOLS = ['python3', 'bpftool', 'objdump'];

// Each test compiles a program, which under software emulation on a busy machine can take
// minutes: their own time-out, not the file's default.
const SLOW = { timeout: 600_000 };

let sandbox: Sandbox;
beforeAll(async () => {
  // One more boot if the first is not ready in time: on a shared machine under heavy load the
  // first boot of a test process competes with vitest's own start (what is tested here is the
  // probe's output, not the boot time, which `ebpf-lab bench` measures).
  sandbox = await new QemuSandboxDriver().start().catch((error: unknown) => {
    if (!(error instanceof SandboxError)) throw error;
    return new QemuSandboxDriver().start();
  });
});
afterAll(async () => {
  await sandbox?.stop();
});

type EventOf<T extends ProbeRunEvent['type']> = Extract<ProbeRunEvent, { type: T }>;
const eventsOf = <T extends ProbeRunEvent['type']>(events: ProbeRunEvent[], type: T) =>
  events.filter((e): e is EventOf<T> => e.type === type);
const field = (value: CValue | undefined, name: string) =>
  value && typeof value === 'object' && !Array.isArray(value) ? value[name] : undefined;

/** The counts of a comm-keyed map, by program name. */
function countsByComm(map: MapSnapshot | undefined): Map<string, number> {
  return new Map(
    (map?.entries ?? []).map((e) => [String(field(e.key, 'comm')), Number(e.value)] as const),
  );
}

describe('events a probe sends to user space', () => {
  it(
    "shows the book's hello-buffer perf events with their fields, and a lab spawn as the lab's",
    SLOW,
    async () => {
      const outcome = await runProbe(
        sandbox,
        { source: fixture('hello_buffer.c'), attach: [{ kind: 'kprobe', target: 'execve' }] },
        {
          trigger: 'cat /etc/hostname',
          settleMs: 5000,
        },
      );
      expect(outcome.error).toBeUndefined();
      const events = eventsOf(outcome.events, 'event');
      // The trigger's bash execs cat: the event says so, with the struct's own field names.
      const fromBash = events.find((e) => field(e.event.fields, 'command') === 'bash');
      expect(fromBash?.event).toMatchObject({
        map: 'output',
        size: 36,
        truncated: false,
        fields: { uid: 0, command: 'bash', message: 'Hello World' },
      });
      expect(Object.keys(fromBash?.event.fields ?? {})).toEqual([
        'pid',
        'uid',
        'command',
        'message',
      ]);
      expect(fromBash?.lab).toBe(false);
      // The agent starting the trigger's bash is the lab's doing, and marked so.
      for (const e of events) {
        expect(e.lab).toBe(field(e.event.fields, 'command') === 'ebpf-lab-agent');
      }
      // The buffer's map says how many events it delivered.
      const maps = eventsOf(outcome.events, 'maps').at(-1);
      expect(maps?.final).toBe(true);
      expect(maps?.maps).toEqual([
        expect.objectContaining({
          name: 'output',
          kind: 'perf_event_array',
          events: events.length,
        }),
      ]);
    },
  );

  it(
    'shows ring buffer events from ringbuf_output and from ringbuf_reserve + submit',
    SLOW,
    async () => {
      const outcome = await runProbe(
        sandbox,
        { source: fixture('ringbuf_opens.c'), attach: [{ kind: 'kprobe', target: 'openat' }] },
        { trigger: 'cat /etc/hostname', settleMs: 5000 },
      );
      expect(outcome.error).toBeUndefined();
      const events = eventsOf(outcome.events, 'event').map((e) => e.event);
      for (const [map, how] of [
        ['opens', 'output'],
        ['reserved', 'reserve'],
      ]) {
        const fromCat = events.filter((e) => e.map === map && field(e.fields, 'comm') === 'cat');
        expect(fromCat.length, `${map} events from cat`).toBeGreaterThan(0);
        expect(fromCat[0]?.fields).toMatchObject({ how, comm: 'cat' });
        expect(Object.keys(fromCat[0]?.fields ?? {})).toEqual(['pid', 'count', 'comm', 'how']);
      }
      // The array map beside them counts every open; the final snapshot agrees with the events.
      const final = eventsOf(outcome.events, 'maps').at(-1);
      const total = final?.maps.find((m) => m.name === 'total');
      expect(total).toMatchObject({ kind: 'array', keyType: 'int', valueType: 'u64', total: 1 });
      expect(total?.entries[0]?.key).toBe(0);
      expect(Number(total?.entries[0]?.value)).toBe(events.filter((e) => e.map === 'opens').length);
    },
  );
});

describe("maps, and the lab's own processes kept out of them", () => {
  it(
    "lesson 10 counts the trigger's cat, live and after; the lab's tools count nowhere",
    SLOW,
    async () => {
      const snapshots: EventOf<'maps'>[] = [];
      const traces: EventOf<'trace'>[] = [];
      const run = ProbeRun.start(
        sandbox.agent,
        { source: LESSON_10, attach: [{ kind: 'kprobe', target: 'openat' }] },
        (event) => {
          if (event.type === 'maps') snapshots.push(event);
          if (event.type === 'trace') traces.push(event);
        },
      );
      await run.attached;
      // The web lab asks for the bytecode as soon as a probe attaches: it must not run anything.
      const programs = await dumpPrograms(sandbox.agent, LESSON_10);
      expect(programs[0]?.name).toBe('count_open');
      expect(programs[0]?.xlated.length).toBeGreaterThan(5);
      await execInSandbox(sandbox.agent, 'cat /etc/hostname');
      const live = snapshots.length;
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await run.stop();

      expect(snapshots.length).toBeGreaterThan(live); // refreshed while attached
      const final = snapshots.at(-1);
      expect(final?.final).toBe(true);
      const opens = final?.maps.find((m) => m.name === 'opens');
      expect(opens).toMatchObject({ kind: 'hash', keyType: 'struct key_t', valueType: 'u64' });
      const counts = countsByComm(opens);
      expect(counts.get('cat')).toBeGreaterThan(0);
      for (const tool of LAB_TOOLS) expect(counts.has(tool), `${tool} counted`).toBe(false);
      // Biggest first.
      const values = opens?.entries.map((e) => Number(e.value)) ?? [];
      expect(values).toEqual([...values].sort((a, b) => b - a));
      expect(traces).toEqual([]);
    },
  );

  it(
    'counting execs shows cat from the trigger, and no python3, bpftool or objdump',
    SLOW,
    async () => {
      const outcome = await runProbe(
        sandbox,
        { source: COUNT_EXECS, attach: [] },
        { trigger: 'cat /etc/hostname; ls / > /dev/null', settleMs: 3000 },
      );
      expect(outcome.error).toBeUndefined();
      const counts = countsByComm(
        eventsOf(outcome.events, 'maps')
          .at(-1)
          ?.maps.find((m) => m.name === 'execs'),
      );
      expect(counts.get('cat')).toBe(1);
      expect(counts.get('ls')).toBe(1);
      for (const tool of LAB_TOOLS) expect(counts.has(tool), `${tool} counted`).toBe(false);
    },
  );
});

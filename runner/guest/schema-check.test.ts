/**
 * The Python guest agent validates host messages with schema_check.py against the JSON Schema
 * generated from the zod declarations. These tests run the real Python validator and check that
 * it agrees with zod on valid and invalid host messages.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runLimits } from '../limits.js';
import { protocolDescription } from '../protocol/json-schema.js';
import { HostMessage, PROTOCOL_VERSION } from '../protocol/messages.js';
import { runGuestPython } from './guest-python.js';

/** Reads {schema, messages} on stdin, prints one {valid, problem} per message, like agent.py. */
const PYTHON = `
import schema_check

data = json.load(sys.stdin)
schema = data['schema']
results = []
for message in data['messages']:
    kind = message.get('type') if isinstance(message, dict) else None
    variant = schema_check.variant_for(schema, kind)
    if variant is None:
        results.append({'valid': False, 'problem': 'unknown type', 'known': False})
        continue
    problem = schema_check.problem(variant, message)
    results.append({'valid': problem is None, 'problem': problem, 'known': True})
json.dump(results, sys.stdout)
`;

interface PythonResult {
  valid: boolean;
  problem: string | null;
  known: boolean;
}

/** Runs schema_check.py over `messages` (sent as JSON, as on the wire). */
function pythonCheck(messages: unknown[]): PythonResult[] {
  const input = { schema: protocolDescription().hostMessage, messages };
  const parsed = runGuestPython(PYTHON, input) as PythonResult[];
  expect(parsed).toHaveLength(messages.length);
  return parsed;
}

/** What zod says about the message after a JSON round trip (what the agent receives). */
function zodValid(message: unknown): boolean {
  return HostMessage.safeParse(JSON.parse(JSON.stringify(message))).success;
}

const limits = runLimits();
const bees = (n: number): string => '🐝'.repeat(n);

const VALID: [string, HostMessage][] = [
  ['hello', { type: 'hello', protocolVersion: PROTOCOL_VERSION }],
  ['ping', { type: 'ping', id: 'p1' }],
  [
    'run with attach list and limits',
    {
      type: 'run',
      id: 'run-1',
      source: 'int hello(void *ctx) { bpf_trace_printk("hi\\n"); return 0; }',
      attach: [
        { kind: 'kprobe', target: 'clone', fn: 'hello' },
        { kind: 'kretprobe', target: 'do_sys_openat2' },
        { kind: 'tracepoint', target: 'syscalls:sys_enter_execve', fn: '_on_exec2' },
      ],
      limits,
    },
  ],
  [
    'run with no attach and overridden limits',
    { type: 'run', id: 'r', source: '', attach: [], limits: runLimits({ maxRunMs: 1 }) },
  ],
  [
    'run with 16 attach specs',
    {
      type: 'run',
      id: 'r16',
      source: 'x',
      attach: Array.from({ length: 16 }, (_, i) => ({ kind: 'kprobe', target: `f${i}` }) as const),
      limits,
    },
  ],
  ['stop', { type: 'stop', id: 'run-1' }],
  ['exec', { type: 'exec', id: 'e1', command: 'ls -l /sys/kernel/debug', timeoutMs: 60_000 }],
  [
    'exec with a 4096-character command',
    { type: 'exec', id: 'e2', command: 'a'.repeat(4096), timeoutMs: 1 },
  ],
  [
    'exec with a 4096-code-point astral command',
    { type: 'exec', id: 'e3', command: bees(4096), timeoutMs: 1 },
  ],
  ['exec-kill', { type: 'exec-kill', id: 'e1' }],
  ['shell-open', { type: 'shell-open', id: 's1', cols: 80, rows: 24 }],
  ['shell-open at the bounds', { type: 'shell-open', id: 's2', cols: 1, rows: 1000 }],
  ['shell-input', { type: 'shell-input', id: 's1', data: Buffer.from('ls\r').toString('base64') }],
  ['shell-input with empty data', { type: 'shell-input', id: 's1', data: '' }],
  ['shell-resize', { type: 'shell-resize', id: 's1', cols: 120, rows: 40 }],
  ['shell-close', { type: 'shell-close', id: 's1' }],
  ['id of 64 characters', { type: 'stop', id: 'i'.repeat(64) }],
];

const run = (patch: Record<string, unknown>): Record<string, unknown> => ({
  type: 'run',
  id: 'r1',
  source: 'int f(void *ctx) { return 0; }',
  attach: [{ kind: 'kprobe', target: 'clone', fn: 'f' }],
  limits,
  ...patch,
});
const exec = (patch: Record<string, unknown>): Record<string, unknown> => ({
  type: 'exec',
  id: 'e1',
  command: 'true',
  timeoutMs: 1000,
  ...patch,
});

/** [name, message, a fragment the Python problem must contain]. */
const INVALID: [string, Record<string, unknown>, string][] = [
  [
    'exec missing timeoutMs',
    { type: 'exec', id: 'e1', command: 'true' },
    'message.timeoutMs is missing',
  ],
  [
    'run missing limits',
    { type: 'run', id: 'r', source: '', attach: [] },
    'message.limits is missing',
  ],
  [
    'run limits missing a field',
    run({ limits: { ...limits, maxTraceLineBytes: undefined } }),
    'message.limits.maxTraceLineBytes is missing',
  ],
  ['stop missing id', { type: 'stop' }, 'message.id is missing'],
  ['hello missing protocolVersion', { type: 'hello' }, 'message.protocolVersion is missing'],
  ['exec-kill missing id', { type: 'exec-kill' }, 'message.id is missing'],
  [
    'stop with an extra field',
    { type: 'stop', id: 's', force: true },
    'message.force is not allowed',
  ],
  [
    'exec-kill with an extra field',
    { type: 'exec-kill', id: 'e', signal: 'KILL' },
    'message.signal is not allowed',
  ],
  [
    'attach spec with an extra field',
    run({ attach: [{ kind: 'kprobe', target: 'clone', pid: 1 }] }),
    'message.attach[0].pid is not allowed',
  ],
  [
    'limits with an extra field',
    run({ limits: { ...limits, maxCpu: 1 } }),
    'message.limits.maxCpu is not allowed',
  ],
  [
    'hello with a string protocolVersion',
    { type: 'hello', protocolVersion: String(PROTOCOL_VERSION) },
    'message.protocolVersion should be integer',
  ],
  ['exec with a boolean timeout', exec({ timeoutMs: true }), 'message.timeoutMs should be integer'],
  [
    'exec with a fractional timeout',
    exec({ timeoutMs: 1.5 }),
    'message.timeoutMs should be integer',
  ],
  ['exec with a numeric command', exec({ command: 42 }), 'message.command should be string'],
  [
    'shell-open with fractional cols',
    { type: 'shell-open', id: 's', cols: 80.5, rows: 24 },
    'message.cols should be integer',
  ],
  [
    'shell-input with numeric data',
    { type: 'shell-input', id: 's', data: 42 },
    'message.data should be string',
  ],
  ['stop with a numeric id', { type: 'stop', id: 7 }, 'message.id should be string'],
  [
    'run with attach not an array',
    run({ attach: { kind: 'kprobe', target: 'clone' } }),
    'message.attach should be array',
  ],
  ['run with a null source', run({ source: null }), 'message.source should be string'],
  [
    'exec with a too-long command',
    exec({ command: 'a'.repeat(4097) }),
    'message.command is longer than 4096',
  ],
  [
    'exec with a too-long astral command',
    exec({ command: bees(4097) }),
    'message.command is longer than 4096',
  ],
  ['exec with an empty command', exec({ command: '' }), 'message.command is too short'],
  [
    'run with a bad attach kind',
    run({ attach: [{ kind: 'uprobe', target: 'clone' }] }),
    'message.attach[0].kind should be one of',
  ],
  [
    'run with a bad fn name',
    run({ attach: [{ kind: 'kprobe', target: 'clone', fn: '1st' }] }),
    'message.attach[0].fn does not match',
  ],
  [
    'run with an empty attach target',
    run({ attach: [{ kind: 'kprobe', target: '' }] }),
    'message.attach[0].target is too short',
  ],
  [
    'run with 17 attach specs',
    run({ attach: Array.from({ length: 17 }, () => ({ kind: 'kprobe', target: 'clone' })) }),
    'message.attach has more than 16 items',
  ],
  ['exec with a negative timeout', exec({ timeoutMs: -1 }), 'message.timeoutMs must be above 0'],
  ['exec with a zero timeout', exec({ timeoutMs: 0 }), 'message.timeoutMs must be above 0'],
  [
    'run with a negative limit',
    run({ limits: { ...limits, maxRunMs: -5 } }),
    'message.limits.maxRunMs must be above 0',
  ],
  [
    'exec with an unsafe integer timeout',
    exec({ timeoutMs: 2 ** 53 }),
    'message.timeoutMs is above',
  ],
  ['stop with an empty id', { type: 'stop', id: '' }, 'message.id is too short'],
  [
    'stop with a 65-character id',
    { type: 'stop', id: 'i'.repeat(65) },
    'message.id is longer than 64',
  ],
  [
    'shell-open with zero cols',
    { type: 'shell-open', id: 's', cols: 0, rows: 24 },
    'message.cols is below 1',
  ],
  [
    'shell-resize with too many rows',
    { type: 'shell-resize', id: 's', cols: 80, rows: 1001 },
    'message.rows is above 1000',
  ],
  [
    'shell-input with too much data',
    { type: 'shell-input', id: 's', data: 'A'.repeat((1 << 20) + 1) },
    'message.data is longer than',
  ],
];

describe('schema_check.py agrees with zod on host messages', () => {
  let validResults: PythonResult[];
  let invalidResults: PythonResult[];

  beforeAll(() => {
    validResults = pythonCheck(VALID.map(([, message]) => message));
    invalidResults = pythonCheck(INVALID.map(([, message]) => message));
  });

  it.each(VALID.map(([name, message], i) => ({ name, message, i })))(
    'both accept $name',
    ({ message, i }) => {
      expect(zodValid(message)).toBe(true);
      expect(validResults[i]).toEqual({ valid: true, problem: null, known: true });
    },
  );

  it.each(INVALID.map(([name, message, problem], i) => ({ name, message, problem, i })))(
    'both reject $name',
    ({ message, problem, i }) => {
      expect(zodValid(message)).toBe(false);
      const result = invalidResults[i];
      expect(result?.known).toBe(true);
      expect(result?.valid).toBe(false);
      expect(result?.problem).toContain(problem);
    },
  );
});

describe('schema_check.variant_for', () => {
  it('finds a variant for every HostMessage type and none for an unknown type', () => {
    const types = HostMessage.options.map((option) => option.shape.type.value);
    expect(types).toContain('exec-kill');
    // A minimal object per type: variant_for only looks at `type`.
    const results = pythonCheck([...types.map((type) => ({ type })), { type: 'reboot' }]);
    for (const [i, type] of types.entries()) {
      expect(results[i]?.known, type).toBe(true);
    }
    expect(results.at(-1)).toEqual({ valid: false, problem: 'unknown type', known: false });
  });
});

describe('pattern anchoring', () => {
  // Python's `$` also matches before a trailing newline; schema_check.py anchors patterns the
  // way ECMA-262 (and so zod) does.
  it('both reject an attach fn with a trailing newline', () => {
    const message = run({ attach: [{ kind: 'kprobe', target: 'clone', fn: 'probe\n' }] });
    expect(zodValid(message)).toBe(false);
    expect(pythonCheck([message])[0]?.valid).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { parseClientMessage } from './protocol.js';

describe('parseClientMessage', () => {
  it('accepts each well-formed message', () => {
    const good = [
      {
        type: 'run',
        source: 'int f(void *c) { return 0; }',
        attach: [{ kind: 'kprobe', target: 'clone' }],
      },
      { type: 'run', source: '', attach: [], lessonId: '07-how-it-works' },
      { type: 'stop' },
      { type: 'prepare', source: '' },
      { type: 'prepare', source: '', attach: [{ kind: 'tracepoint', target: 'syscalls:x' }] },
      { type: 'shell-input', data: 'ls\r' },
      { type: 'shell-resize', cols: 120, rows: 40 },
      { type: 'ack', stream: 'trace', bytes: 512 },
      { type: 'bytecode' },
      { type: 'save-files', files: { 'hello_world.py': 'print(1)' } },
      { type: 'check', lessonId: '04-attach-it', files: { 'hello_world.c': '' } },
      { type: 'raise-hand', lessonId: '04-attach-it' },
      { type: 'raise-hand' },
      { type: 'lower-hand' },
    ];
    for (const message of good) {
      expect(parseClientMessage(JSON.stringify(message)), message.type).toMatchObject({ ok: true });
    }
  });

  it.each([
    ['not JSON', '{', 'malformed', /not JSON/],
    ['no type', '{"source":"x"}', 'malformed', /string "type"/],
    ['an array', '[1,2]', 'malformed', /string "type"/],
    ['unknown type', '{"type":"reboot"}', 'unknown-type', /unknown message type "reboot"/],
    ['extra field', '{"type":"stop","now":true}', 'malformed', /invalid "stop" message/],
    ['wrong field type', '{"type":"run","source":1,"attach":[]}', 'malformed', /at source/],
    [
      'bad attach kind',
      '{"type":"run","source":"","attach":[{"kind":"uprobe","target":"x"}]}',
      'malformed',
      /at attach\.0\.kind/,
    ],
    [
      'compile-ahead with a bad attach kind',
      '{"type":"prepare","source":"","attach":[{"kind":"xdp","target":"lo"}]}',
      'malformed',
      /at attach\.0\.kind/,
    ],
    ['negative ack', '{"type":"ack","stream":"shell","bytes":-1}', 'malformed', /at bytes/],
    [
      'a hand raised for no lesson id',
      '{"type":"raise-hand","lessonId":"<b>"}',
      'malformed',
      /at lessonId/,
    ],
    [
      'a hand lowered for someone',
      '{"type":"lower-hand","learner":"x"}',
      'malformed',
      /lower-hand/,
    ],
    ['tiny terminal', '{"type":"shell-resize","cols":1,"rows":24}', 'malformed', /at cols/],
    [
      'file name with a path',
      '{"type":"save-files","files":{"../etc/passwd":"x"}}',
      'malformed',
      /at files/,
    ],
    [
      'run with a bad lesson id',
      '{"type":"run","source":"","attach":[],"lessonId":"Lesson 1"}',
      'malformed',
      /at lessonId/,
    ],
    [
      'lesson id with a slash',
      '{"type":"check","lessonId":"../x","files":{}}',
      'malformed',
      /at lessonId/,
    ],
  ])('rejects %s', (_name, raw, code, message) => {
    const parsed = parseClientMessage(raw);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.code).toBe(code);
      expect(parsed.error).toMatch(message);
    }
  });
});

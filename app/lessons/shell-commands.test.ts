/** Which programs a lesson's shell blocks run, as "Run in shell" would type them. */
import { describe, expect, it } from 'vitest';
import { commandLines, commandNames, missingCommandsScript } from './shell-commands.js';

describe('commandNames', () => {
  it('takes the $ lines of console blocks and every line of sh blocks, with their lesson.md line', () => {
    const md = [
      '# T', //                                   1
      '```console', //                            2
      '$ sudo python3 count.py &', //             3
      'output line, not typed', //                4
      "$ tcpdump -d 'ip | tcp' && ls /tmp", //    5
      '```', //                                   6
      '```sh', //                                 7
      '# a comment', //                           8
      'X=1 bpftool prog \\', //                   9
      '  show | grep -w hello; ./local.sh', //    10
      '```', //                                   11
      '```text', //                               12
      'notacommand --here', //                    13
      '```', //                                   14
    ].join('\n');
    expect(commandNames(md)).toEqual([
      { name: 'sudo', line: 3 },
      { name: 'python3', line: 3 },
      { name: 'tcpdump', line: 5 },
      { name: 'ls', line: 5 },
      { name: 'bpftool', line: 9 },
      { name: 'grep', line: 9 },
    ]);
  });

  it('builds a lookup script from plain names only', () => {
    expect(missingCommandsScript(['ls', 'bpf tool', '$(reboot)', 'python3'])).toBe(
      'for c in ls python3; do command -v "$c" >/dev/null 2>&1 || echo "$c"; done',
    );
  });
});

describe('commandLines', () => {
  it('gives the typed lines of shell blocks whole, continuations joined, output and text left out', () => {
    const md = [
      '```console',
      '$ bpftrace -e \'BEGIN { printf("hi\\n"); }\' &',
      'Attaching 1 probe...',
      '$ kill %1',
      '```',
      '```sh',
      'ls \\',
      '  /tmp',
      '```',
      '```text',
      'not typed',
      '```',
    ].join('\n');
    expect(commandLines(md)).toEqual([
      'bpftrace -e \'BEGIN { printf("hi\\n"); }\' &',
      'kill %1',
      'ls    /tmp',
    ]);
  });
});

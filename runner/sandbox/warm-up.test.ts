/**
 * Which includes a template has its BCC worker precompile: those the built-in lessons' C
 * programs open with, read as the worker reads a source's leading includes.
 */
import { describe, expect, it } from 'vitest';
import { leadingIncludes, lessonIncludeLists } from './warm-up.js';

describe('the includes a template precompiles', () => {
  it('are the #include <...> lines a program opens with, past blank lines and line comments', () => {
    expect(
      leadingIncludes(
        '// An XDP program\n\n#include <uapi/linux/bpf.h>\n#  include <uapi/linux/ip.h>\n\n#define OTHER 256\n#include <linux/fs.h>\n',
      ),
    ).toEqual(['#include <uapi/linux/bpf.h>', '#include <uapi/linux/ip.h>']);
    expect(leadingIncludes('#include "mine.h"\n#include <linux/fs.h>\n')).toEqual([]);
    expect(leadingIncludes('int hello_world(void *ctx) {\n    return 0;\n}\n')).toEqual([]);
  });

  it("are each built-in lesson program's list, once", () => {
    const lists = lessonIncludeLists();
    // Lesson 12's guard (given and solved) opens with these; lesson 11's XDP counter with its own.
    expect(lists).toContainEqual(['#include <linux/fs.h>', '#include <linux/errno.h>']);
    expect(lists).toContainEqual([
      '#include <uapi/linux/bpf.h>',
      '#include <uapi/linux/if_ether.h>',
      '#include <uapi/linux/ip.h>',
    ]);
    expect(new Set(lists.map((list) => list.join('\n'))).size).toBe(lists.length);
  });
});

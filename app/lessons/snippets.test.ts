/** Typing a lesson's snippets in place of a starter's TODO comments, as a learner would. */
import { describe, expect, it } from 'vitest';
import { fencesOf, typeAtTodos } from './snippets.js';

describe('typeAtTodos', () => {
  it('replaces a TODO comment and the comment lines that carry on from it', () => {
    const starter = 'a = 1\n# TODO: do it\n# in two lines\nprint(a)\n';
    expect(typeAtTodos(starter, [{ text: 'a += 1' }], '#')).toEqual({
      text: 'a = 1\na += 1\nprint(a)\n',
    });
  });

  it('fills several TODOs in order, and leaves a comment after code alone', () => {
    const starter = 'int f() {\n  // TODO one\n  int x = 0; // not a TODO\n  // TODO two\n}\n';
    const typed = typeAtTodos(starter, [{ text: '  a();' }, { text: '  b();' }], '//');
    expect(typed).toEqual({ text: 'int f() {\n  a();\n  int x = 0; // not a TODO\n  b();\n}\n' });
  });

  it('says when there are more snippets than TODOs', () => {
    expect(typeAtTodos('int f();\n', [{ text: 'x' }], '//')).toEqual({
      error: expect.stringMatching(/1 snippet\(s\) .* the starter has 0 \/\/ TODO comment/),
    });
  });
});

describe('fencesOf', () => {
  it('reads the language, options and line of each fence, and skips fences inside a longer one', () => {
    const md = 'x\n```text todo=a.c\nA\n```\n\n````markdown\n```c\nB\n```\n````\n';
    expect(fencesOf(md)).toEqual([
      { language: 'text', options: { todo: 'a.c' }, words: [], text: 'A', line: 2 },
      { language: 'markdown', options: {}, words: [], text: '```c\nB\n```', line: 6 },
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { sourceDigest } from './source-digest.js';

describe('sourceDigest', () => {
  it('is 16 hex digits and the same for the same text', () => {
    const text = 'int hello(void *ctx) { return 0; }\n';
    expect(sourceDigest(text)).toMatch(/^[0-9a-f]{16}$/);
    expect(sourceDigest(text)).toBe(sourceDigest(`${text}`));
  });

  it('tells apart texts that differ by one character, one line or their order', () => {
    const texts = [
      '',
      ' ',
      'a',
      'b',
      'ab',
      'ba',
      'int x;\nint y;\n',
      'int y;\nint x;\n',
      'int x;\nint y;',
      'int x;\r\nint y;\n',
      'u32 pid = 1;',
      'u32 pid = 2;',
      'é',
      '😀',
    ];
    expect(new Set(texts.map(sourceDigest)).size).toBe(texts.length);
  });
});

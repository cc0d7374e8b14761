import { describe, expect, it } from 'vitest';
import { TextTail } from './text-tail.js';

describe('TextTail', () => {
  it('keeps the last max characters, however the text came', () => {
    const tail = new TextTail(5);
    expect(tail.value).toBe('');
    tail.append('abc');
    expect(tail.value).toBe('abc');
    for (const piece of ['defg', 'h', 'ijklmnopqrstu']) tail.append(piece);
    expect(tail.value).toBe('qrstu');
    tail.append('v');
    expect(tail.value).toBe('rstuv');
  });
});

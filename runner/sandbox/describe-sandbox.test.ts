import { describe, expect, it } from 'vitest';
import { describeSandbox } from './describe-sandbox.js';

describe('describeSandbox', () => {
  it('names the mode, the kernel and the tool versions of the image', () => {
    expect(
      describeSandbox({
        mode: 'tcg',
        kernel: '6.12.118+deb13-cloud-amd64',
        tools: [
          {
            tool: 'kernel',
            package: 'linux-image-6.12.118+deb13-cloud-amd64',
            version: '6.12.118-1',
          },
          { tool: 'clang', package: 'clang-19', version: '1:19.1.7-3+b1' },
          { tool: 'BCC', package: 'python3-bpfcc', version: '0.31.0+ds-7' },
          { tool: 'bpftrace', package: 'bpftrace', version: '0.23.2-1' },
        ],
      }),
    ).toBe('tcg, kernel 6.12.118+deb13-cloud-amd64, BCC 0.31.0, bpftrace 0.23.2, clang 19.1.7');
  });

  it('is the mode and kernel alone where the sandbox has no image manifest (local)', () => {
    expect(describeSandbox({ mode: 'local', kernel: '6.1.0-40-amd64', tools: [] })).toBe(
      'local, kernel 6.1.0-40-amd64',
    );
    expect(describeSandbox({ mode: 'local', kernel: '6.1.0-40-amd64' })).toBe(
      'local, kernel 6.1.0-40-amd64',
    );
  });
});

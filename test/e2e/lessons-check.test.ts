/**
 * `ebpf-lab lessons check` with a real sandbox: what only the guest image can tell, such as a
 * program a lesson's shell block runs that the image does not have.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runner/paths.js';

const FIXTURES = join(PACKAGE_ROOT, 'test', 'fixtures', 'sandbox-lessons');

function ebpfLab(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'ebpf-lab.js'), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('ebpf-lab lessons check in a sandbox', () => {
  it('fails a lesson whose shell block runs a program the sandbox lacks, naming the line', {
    timeout: 300_000,
  }, async () => {
    const dir = join(FIXTURES, 'missing-tool');
    const result = await ebpfLab(['lessons', 'check', dir]);
    expect(result.code, result.stdout).toBe(1);
    const md = join(dir, '01-case', 'lesson.md');
    expect(result.stdout).toContain(
      `FAIL ${md} line 14: "bpftol" is not a command in the sandbox (a typo, or a tool the guest image does not have)`,
    );
    // ls exists; the lesson's own check still ran and passed.
    expect(result.stdout).not.toContain('"ls"');
    expect(result.stdout).toMatch(/pass Always passes/);
    expect(result.stdout).toMatch(/^FAIL 01-case/m);
  });
});

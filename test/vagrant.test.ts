/**
 * The Vagrant set-up, as far as it can be checked without running a VM: the Vagrantfile is
 * valid for the libvirt provider (and for any provider, ignoring provider blocks), and the
 * provisioning script passes shellcheck.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../runner/paths.js';

function run(command: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(command, args, {
    cwd: PACKAGE_ROOT,
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('Vagrant', () => {
  it('validates the Vagrantfile with the libvirt provider', () => {
    const result = run('vagrant', ['validate'], { VAGRANT_DEFAULT_PROVIDER: 'libvirt' });
    expect(result.output).toContain('Vagrantfile validated successfully');
    expect(result.code).toBe(0);
  });

  it('validates the Vagrantfile for any provider, with overridden box and sizes', () => {
    const result = run('vagrant', ['validate', '--ignore-provider'], {
      EBPF_LAB_BOX: 'debian/bookworm64',
      EBPF_LAB_MEMORY: '6144',
      EBPF_LAB_CPUS: '4',
    });
    expect(result.code).toBe(0);
  });

  it('refuses a non-numeric memory size with a clear error', () => {
    const result = run('vagrant', ['validate', '--ignore-provider'], { EBPF_LAB_MEMORY: 'lots' });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/invalid value for Integer\(\): "lots"/);
  });

  it('passes shellcheck on the provisioning script', () => {
    const result = run('shellcheck', ['scripts/vagrant-provision.sh']);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});

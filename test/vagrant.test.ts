/**
 * The Vagrant set-up, as far as it can be checked without running a VM: the Vagrantfile is
 * valid for the libvirt provider (and for any provider, ignoring provider blocks), the
 * provisioning script passes shellcheck, and its kernel check names what a kernel lacks.
 * (test/e2e/vagrant-provision.test.ts runs the script for real, in a VM.)
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

describe("the provisioning script's kernel check (--check)", () => {
  /**
   * Runs `vagrant-provision.sh --check` in a private mount namespace where `/sys/kernel/btf` and
   * `/boot` are empty tmpfs, after `setup` (shell) has put there the kernel it should see. This
   * machine's own /sys and /boot are untouched.
   */
  function checkKernel(setup: string) {
    return run('unshare', [
      '--mount',
      '--propagation',
      'private',
      'bash',
      '-c',
      'mount -t tmpfs none /sys/kernel/btf && mount -t tmpfs none /boot && ' +
        `config=/boot/config-$(uname -r) && ${setup} && ` +
        'exec bash scripts/vagrant-provision.sh --check',
    ]);
  }

  it('fails loudly on a kernel without BTF and kprobes, naming each, installing nothing', () => {
    const result = checkKernel(`printf 'CONFIG_BPF_SYSCALL=y\nCONFIG_BPF_EVENTS=y\n' > "$config"`);
    expect(result.code).toBe(1);
    expect(result.output).toContain(
      "ebpf-lab provisioning failed: the VM's kernel lacks: BTF (/sys/kernel/btf/vmlinux, " +
        'CONFIG_DEBUG_INFO_BTF) CONFIG_KPROBES CONFIG_KPROBE_EVENTS.',
    );
    expect(result.output).not.toContain('installing packages');
  });

  it('says when it cannot read the kernel config', () => {
    const result = checkKernel('touch /sys/kernel/btf/vmlinux');
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/lacks: the kernel config \(\/boot\/config-\S+\) to check/);
  });

  it('passes a kernel with BTF and kprobes', () => {
    const result = checkKernel(
      'touch /sys/kernel/btf/vmlinux && printf "%s=y\\n" CONFIG_BPF_SYSCALL CONFIG_KPROBES ' +
        'CONFIG_KPROBE_EVENTS CONFIG_BPF_EVENTS > "$config"',
    );
    expect(result.output).toContain(
      "this kernel can run the lab's probes (--check: nothing installed)",
    );
    expect(result.code).toBe(0);
  });
});

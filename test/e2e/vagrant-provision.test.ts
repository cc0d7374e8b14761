/**
 * `vagrant up`, without Vagrant: scripts/vagrant-provision.sh runs to completion in a clean
 * Debian 12 VM (qemu microvm, systemd, Debian's cloud kernel, user-mode networking for apt and
 * npm), the way the Vagrantfile runs it (as root, EBPF_LAB_DIR=/opt/ebpf-lab, the repository
 * rsynced there without .git/, node_modules/, dist/, test-results/). Then, from this host through
 * the forwarded port: the lab answers /healthz, runs the guide's hello world probe with the
 * `local` driver in the VM's kernel (`ls` typed in its shell makes `Hello World!!` appear), and
 * the script run a second time changes nothing (the lab keeps running). Last, in the VM, the
 * sandbox contract (test/e2e/local-sandbox.test.ts) runs against the `local` driver: the same
 * tests as the qemu driver's, where they apply.
 *
 * Slow under software emulation (apt, npm ci and tsc in the VM): 11 to 17 minutes; see
 * test/vagrant-vm/README.md. The VM's console goes to test-results/vagrant-vm/console.log.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { describeVmImage, getVmImage, type VmImage } from '../vagrant-vm/image.js';
import { VagrantVm } from '../vagrant-vm/vm.js';
import { HELLO_WORLD } from './helpers.js';
import { LabTab, learnerCookie, waitForHealthz } from './lab-client.js';

const MINUTE = 60_000;
/** Power-on to the provisioning unit starting (systemd, DHCP). */
const BOOT_TIMEOUT_MS = 5 * MINUTE;
/** The first provisioning: apt (BCC, clang, headers, Node.js), npm ci, tsc, esbuild. */
const PROVISION_TIMEOUT_MS = 45 * MINUTE;
/** The second provisioning: nothing to install or fetch; tsc and esbuild again. */
const REPROVISION_TIMEOUT_MS = 15 * MINUTE;
/** vitest starting under emulation, then the sandbox contract: a BCC compile per test or so. */
const CONTRACT_TIMEOUT_MS = 25 * MINUTE;
const CONSOLE_LOG = join(PACKAGE_ROOT, 'test-results', 'vagrant-vm', 'console.log');

const log = (text: string) => console.log(`[vagrant-vm] ${text}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;

let image: VmImage;
let vm: VagrantVm;
let baseUrl: string;
let provisioned: { code: number; ms: number } | undefined;

beforeAll(async () => {
  const started = Date.now();
  image = await getVmImage(log);
  log(`base image ready (${seconds(Date.now() - started)}): ${describeVmImage(image)}`);
  vm = await VagrantVm.boot({ image, consoleLog: CONSOLE_LOG });
  baseUrl = `http://127.0.0.1:${vm.port}`;
  log(`qemu (${vm.accel}) started; lab port 3000 forwarded to ${baseUrl}; console: ${CONSOLE_LOG}`);
}, 20 * MINUTE);

afterAll(async () => {
  await vm?.stop();
});

describe('scripts/vagrant-provision.sh in a clean Debian 12 VM', () => {
  it(
    'runs to completion, as `vagrant up` runs it',
    async () => {
      const booted = Date.now();
      await vm.waitForConsole(/PROVISION-START .*/, BOOT_TIMEOUT_MS);
      log(`booted, provisioning started (${seconds(Date.now() - booted)})`);
      const started = Date.now();
      const exit = await vm.waitForConsole(/PROVISION-EXIT (\d+)/, PROVISION_TIMEOUT_MS);
      provisioned = { code: Number(exit[1]), ms: Date.now() - started };
      log(`provisioning finished: exit ${provisioned.code} (${seconds(provisioned.ms)})`);
      expect(provisioned.code, `the provisioning failed; console:\n${vm.tail(80)}`).toBe(0);
      expect(vm.console).toContain('ebpf-lab is up');
    },
    BOOT_TIMEOUT_MS + PROVISION_TIMEOUT_MS + MINUTE,
  );

  it('leaves the lab answering on port 3000', async () => {
    expect(provisioned?.code, 'the provisioning did not succeed').toBe(0);
    const health = await waitForHealthz(baseUrl, 60_000);
    expect(health).toMatchObject({ ok: true });
    expect(health.lessons).toBeGreaterThan(0);
    const page = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(30_000) });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script');
  });

  it(
    'runs the hello world probe with the local driver in the VM: `ls` makes Hello World appear',
    async () => {
      expect(provisioned?.code, 'the provisioning did not succeed').toBe(0);
      await helloWorld('first run');
    },
    10 * MINUTE,
  );

  it(
    'runs again without changing anything: the lab keeps running',
    async () => {
      expect(provisioned?.code, 'the provisioning did not succeed').toBe(0);
      const started = Date.now();
      const { code, output } = await vm.runInConsole(
        '/usr/local/sbin/ebpf-lab-vm-provision --again',
        'PROVISION-AGAIN-EXIT',
        REPROVISION_TIMEOUT_MS,
      );
      log(`second provisioning finished: exit ${code} (${seconds(Date.now() - started)})`);
      expect(code, `the second provisioning failed:\n${output.slice(-6000)}`).toBe(0);
      // Nothing to install, no npm ci (node_modules is up to date), the same build and unit
      // file: the lab keeps running, and learners keep their sandboxes.
      expect(output).toContain('all installed');
      expect(output).not.toMatch(/Unpacking |added \d+ packages/);
      expect(output).toContain('nothing changed since the ebpf-lab service started');
      expect(output).toContain('ebpf-lab is up');
      expect(await waitForHealthz(baseUrl, 60_000)).toMatchObject({ ok: true });
      await helloWorld('after the second provisioning');
    },
    REPROVISION_TIMEOUT_MS + 10 * MINUTE,
  );

  it(
    'passes the sandbox contract with the local driver, in the VM kernel',
    async () => {
      expect(provisioned?.code, 'the provisioning did not succeed').toBe(0);
      const started = Date.now();
      const { code, output } = await vm.runInConsole(
        'bash /opt/ebpf-lab/test/vagrant-vm/local-contract.sh',
        'LOCAL-CONTRACT-EXIT',
        CONTRACT_TIMEOUT_MS,
      );
      const failure = `test/e2e/local-sandbox.test.ts in the VM:\n${output.slice(-8000)}`;
      expect(code, failure).toBe(0);
      // The contract ran (not the refusal a machine without BPF gets), every test of it passed.
      expect(output, failure).toContain('the local sandbox driver, where BPF can run');
      expect(output, failure).not.toContain('refuses to start');
      const tests = /Tests\s+(\d+) passed \((\d+)\)/.exec(output);
      expect(tests?.[1], failure).toBe(tests?.[2]);
      expect(Number(tests?.[1])).toBeGreaterThan(20);
      log(`local driver contract: ${tests?.[1]} tests passed (${seconds(Date.now() - started)})`);
      // The script paused the lab for the tests and started it again.
      expect(await waitForHealthz(baseUrl, 60_000)).toMatchObject({ ok: true });
    },
    CONTRACT_TIMEOUT_MS + MINUTE,
  );
});

/** A tab's hello world: run the guide's probe on kprobe clone, type `ls`, read the trace. */
async function helloWorld(when: string): Promise<void> {
  const started = Date.now();
  const cookie = await learnerCookie(baseUrl);
  const tab = await LabTab.open(baseUrl, cookie);
  try {
    await tab.waitFor(() => tab.status().startsWith('ready'), 'the sandbox to start', 3 * MINUTE);
    // The local driver: the agent runs in the VM itself, on the VM's kernel.
    expect(tab.status()).toContain(`(local, kernel ${image.kernelRelease},`);
    tab.send({ type: 'shell-resize', cols: 100, rows: 30 });
    tab.send({ type: 'run', source: HELLO_WORLD, attach: [{ kind: 'kprobe', target: 'clone' }] });
    await tab.waitFor(
      () => tab.status().startsWith('attached'),
      'the probe to compile, load and attach',
      5 * MINUTE,
    );
    expect(tab.status()).toContain('__x64_sys_clone');
    tab.send({ type: 'shell-input', data: 'ls /opt/ebpf-lab\r' });
    await tab.waitFor(
      () => tab.trace.includes('Hello World!!'),
      'Hello World in the trace',
      MINUTE,
    );
    await tab.waitFor(() => tab.shell.includes('package.json'), 'the shell to list', MINUTE);
    tab.send({ type: 'stop' });
    await tab.waitFor(() => tab.status().startsWith('stopped'), 'the probe to stop', MINUTE);
    log(`hello world ${when}: ${seconds(Date.now() - started)}`);
    // A worker crash before attaching is retried once by the agent, and said in Trace output:
    // recorded here, so a crash that only shows in this VM is seen.
    const crash = /\[The BCC worker crashed[^\]]*\]/.exec(tab.trace);
    if (crash) log(`hello world ${when}: ${crash[0]}`);
  } catch (error) {
    // What the lab and its sandboxes printed (a worker's crash report goes to the journal).
    const journal = await vm
      .runInConsole(
        'journalctl -u ebpf-lab -n 80 --no-pager; echo JOURNAL-EXIT $?',
        'JOURNAL-EXIT',
        MINUTE,
      )
      .then(({ output }) => output.slice(-8000))
      .catch((reason: unknown) => `(no journal: ${String(reason)})`);
    throw new Error(`${(error as Error).message}\nthe lab's journal:\n${journal}`);
  } finally {
    tab.close();
  }
}

/**
 * Large inputs are bounded, not held (issue 15, item 6): a tab that floods the server with
 * editor saves and shell input, through the real WebSocket to a real sandbox. The server's
 * resident memory is measured before, at the end of the flood and after the tab has gone; the
 * learner is told what was refused; and the next Run still shows a trace line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabServer } from '../../app/server/server.js';
import { ownResidentMiB } from '../../runner/sandbox/resident-memory.js';
import { HELLO_WORLD } from './helpers.js';
import { LabTab, learnerCookie } from './lab-client.js';
import { startQemuLab } from './qemu-lab.js';

/** Two files of 120 KiB (a file may have 128 KiB): 240 KiB per save, as in the issue. */
const FILE_BYTES = 120 * 1024;
const SAVES = 800; // about 190 MiB of saves
const SHELL_FRAME_BYTES = 64 * 1024;
const SHELL_FRAMES = 1600; // 100 MiB of shell input
/** What the server may grow by while a tab floods it, and keep after the tab has gone. */
const FLOOD_GROWTH_MIB = 300;
const KEPT_GROWTH_MIB = 120;

let lab: LabServer;
let closeLab: (() => Promise<void>) | undefined;

beforeAll(async () => {
  ({ lab, close: closeLab } = await startQemuLab({
    reconnectGraceMs: 1000,
  }));
});

afterAll(async () => {
  await closeLab?.();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the socket has handed everything queued to the kernel. */
async function drained(tab: LabTab): Promise<void> {
  while (tab.socket.bufferedAmount > 0) await sleep(50);
}

describe('bounded input', () => {
  it('a flood of saves and shell input: bounded memory, the learner told, Run still works', async () => {
    const cookie = await learnerCookie(lab.url);
    const tab = await LabTab.open(lab.url, cookie);
    await tab.waitFor(() => tab.status().startsWith('ready'), 'the sandbox to start', 180_000);
    const before = ownResidentMiB();
    let peak = before;
    const sample = setInterval(() => {
      peak = Math.max(peak, ownResidentMiB());
    }, 100);
    try {
      const text = 'x'.repeat(FILE_BYTES - 100);
      for (let i = 0; i < SAVES; i++) {
        const files = { 'big.c': `// ${i}\n${text}`, 'big.py': `# ${i}\n${text}` };
        tab.send({ type: 'save-files', files });
        if (i % 50 === 0) await drained(tab);
      }
      const line = `: ${'y'.repeat(SHELL_FRAME_BYTES - 10)}`;
      for (let i = 0; i < SHELL_FRAMES; i++) {
        tab.send({ type: 'shell-input', data: line });
        if (i % 50 === 0) await drained(tab);
      }
      await drained(tab);
      await tab.waitFor(
        () =>
          tab.messages.some(
            (m) => m.type === 'error' && m.message.startsWith('Shell input refused'),
          ),
        'the learner to be told shell input was refused',
        120_000,
      );
    } finally {
      clearInterval(sample);
    }
    const during = ownResidentMiB();
    console.log(
      `server RSS: before ${before} MiB, peak ${peak} MiB, after the flood ${during} MiB`,
    );
    expect(peak - before).toBeLessThan(FLOOD_GROWTH_MIB);

    // The shell is still a shell once it has read its backlog (Ctrl-C drops the long line),
    // and the next Run shows a trace line. First the tab's message bucket refills: the flood
    // spent it, and a message sent now would be refused (tabMessagesPerSecond).
    await sleep(3000);
    tab.send({ type: 'shell-input', data: '\x03' });
    tab.send({ type: 'run', source: HELLO_WORLD, attach: [{ kind: 'kprobe', target: 'clone' }] });
    await tab.waitFor(() => tab.status().startsWith('attached'), 'the probe to attach', 180_000);
    const typing = setInterval(() => tab.send({ type: 'shell-input', data: '\x03ls /\r' }), 3000);
    try {
      await tab.waitFor(() => tab.trace.includes('Hello World!!'), 'Hello World', 180_000);
    } finally {
      clearInterval(typing);
    }
    tab.close();

    // The tab and its sandbox gone (a 1 s reconnect grace here), the memory comes back.
    const deadline = Date.now() + 90_000;
    while (lab.registry.size > 0 && Date.now() < deadline) await sleep(500);
    let after = ownResidentMiB();
    while (after - before >= KEPT_GROWTH_MIB && Date.now() < deadline) {
      await sleep(2000);
      after = ownResidentMiB();
    }
    console.log(`server RSS after the tab went: ${after} MiB (before ${before} MiB)`);
    expect(lab.registry.size).toBe(0);
    expect(after - before).toBeLessThan(KEPT_GROWTH_MIB);
  }, 600_000);
});

/**
 * A burst of 10,000 messages from one tab (issue 13 item 5), against `ebpf-lab serve` in its
 * own process: the tab is told to slow down, /healthz stays fast, the next Run works.
 */

import { describe, expect, it } from 'vitest';
import { FIXTURE_COURSE, HELLO_RUN } from './helpers.js';
import { LabTab, learnerCookie, startServeProcess } from './lab-client.js';

const SANDBOX_TEST_MS = 300_000;

describe('one tab sending ten thousand messages in a second', () => {
  it(
    'is told to slow down, /healthz stays fast, and the next Run works',
    async () => {
      const server = await startServeProcess(FIXTURE_COURSE);
      try {
        const cookie = await learnerCookie(server.url);
        const tab = await LabTab.open(server.url, cookie);
        await tab.waitFor(() => tab.status().startsWith('ready'), 'the sandbox to start');
        const healthTimes: number[] = [];
        let flooding = true;
        const probeHealth = (async () => {
          while (flooding) {
            const started = performance.now();
            await fetch(`${server.url}/healthz`);
            healthTimes.push(performance.now() - started);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        })();
        for (let i = 0; i < 10_000; i++) {
          tab.send({ type: 'shell-resize', cols: 80 + (i % 40), rows: 24 });
          if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
        // Keep asking for health a while after the burst: the server may still be working off
        // the frames it received.
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        flooding = false;
        await probeHealth;
        const refusals = tab.messages.filter((m) => m.type === 'error' && m.code === 'limit');
        expect(refusals.length).toBeGreaterThan(0);
        expect(refusals[0]?.type === 'error' && refusals[0].message).toContain(
          'tabMessagesPerSecond',
        );
        expect(healthTimes.length).toBeGreaterThan(3);
        // The bound, at the median: one answer can wait behind a garbage collection.
        healthTimes.sort((a, b) => a - b);
        const median = healthTimes[Math.floor(healthTimes.length / 2)] as number;
        console.log(`/healthz during the burst: median ${median.toFixed(0)} ms`);
        expect(median).toBeLessThan(100);
        // The tab was not closed and its next Run works.
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // the bucket refills
        tab.send(HELLO_RUN);
        await tab.waitFor(() => tab.status().startsWith('attached'), 'the probe to attach');
        tab.send({ type: 'shell-input', data: 'ls /\r' });
        await tab.waitFor(() => tab.trace.includes('Hello World!!'), 'Hello World in the trace');
        tab.close();
      } finally {
        await server.stop();
      }
    },
    SANDBOX_TEST_MS,
  );
});

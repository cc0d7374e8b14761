import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// Test files not yet seen passing (test/pending-tests.json): out of `npm test` until they pass,
// runnable with EBPF_LAB_PENDING=1.
const pendingList = JSON.parse(
  readFileSync(new URL('./test/pending-tests.json', import.meta.url), 'utf8'),
).files;
const pending = process.env.EBPF_LAB_PENDING === '1' ? [] : Object.keys(pendingList);

// Real-sandbox tests boot qemu microVMs under software emulation on a 2-core machine: files run
// one at a time (two VMs at once would only slow each other down) with generous time-outs.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', ...pending],
    fileParallelism: false,
    // Rebuilds dist/ (client, CLI) when a source is newer: for test files run by hand.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});

import { defineConfig } from 'vitest/config';

// Real-sandbox tests boot qemu microVMs under software emulation on a 2-core machine: files run
// one at a time (two VMs at once would only slow each other down) with generous time-outs.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});

#!/usr/bin/env node
// The `ebpf-lab` command: runs the compiled CLI from dist/ (built by `npm start`/`npm test`,
// or `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  console.error('ebpf-lab is not built yet: run `npm run setup` (or `npm run build`) first.');
  process.exit(3);
}
await import(main.href);

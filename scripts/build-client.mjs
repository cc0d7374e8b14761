// Builds the browser client of the web lab into dist/client/ with esbuild:
//   assets/main.js (+ main.css and the fonts it references), assets/editor.worker.js (Monaco's
//   editor worker, loaded with `new Worker('/assets/editor.worker.js')`), and index.html.
// Everything the page loads comes from these files: the lab works offline and under a strict CSP
// (no CDN, no eval, no inline script, no blob worker).
//
// Plain Node ESM. `buildClient()` is exported for the server's set-up; run directly, it builds
// once and prints one line with the time taken. It builds into a fresh temporary directory and
// then swaps it in, so running it twice gives the same result and a running server never serves
// a half-written tree.

import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLIENT_SRC = path.join(ROOT, 'app', 'client');
export const CLIENT_OUT = path.join(ROOT, 'dist', 'client');

/** Options both bundles share. */
const COMMON = {
  absWorkingDir: ROOT,
  bundle: true,
  minify: true,
  sourcemap: true,
  target: 'es2022',
  logLevel: 'warning',
  // The bundles are loaded from /assets/ whatever the page's path (/ or /lessons/:id).
  publicPath: '/assets',
};

/**
 * Builds dist/client/. Resolves to `{ outDir, ms }`; rejects (after esbuild has printed the
 * errors) when a bundle does not build.
 */
export async function buildClient() {
  const started = performance.now();
  const staging = `${CLIENT_OUT}.tmp-${process.pid}`;
  const assets = path.join(staging, 'assets');
  await rm(staging, { recursive: true, force: true });
  await mkdir(assets, { recursive: true });
  try {
    await Promise.all([
      esbuild.build({
        ...COMMON,
        entryPoints: { main: path.join(CLIENT_SRC, 'main.ts') },
        outdir: assets,
        format: 'esm',
        // Monaco's codicon font (and any other font or image a stylesheet references) becomes a
        // file next to main.css, fetched from 'self'.
        loader: {
          '.ttf': 'file',
          '.woff': 'file',
          '.woff2': 'file',
          '.svg': 'file',
          '.png': 'file',
        },
        assetNames: '[name]-[hash]',
      }),
      esbuild.build({
        ...COMMON,
        // The package's export map publishes esm/vs/* as monaco-editor/*.
        entryPoints: { 'editor.worker': 'monaco-editor/editor/editor.worker.js' },
        outdir: assets,
        // A classic script: `new Worker(url)` without `{ type: 'module' }` works in every browser.
        format: 'iife',
      }),
      copyFile(path.join(CLIENT_SRC, 'index.html'), path.join(staging, 'index.html')),
    ]);
    await rm(CLIENT_OUT, { recursive: true, force: true });
    await rename(staging, CLIENT_OUT);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { outDir: CLIENT_OUT, ms: performance.now() - started };
}

const runDirectly = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (runDirectly) {
  try {
    const { outDir, ms } = await buildClient();
    console.log(
      `[build-client] ${path.relative(ROOT, outDir)} built in ${(ms / 1000).toFixed(2)} s`,
    );
  } catch (err) {
    // esbuild has already printed its diagnostics; say what failed in one line.
    console.error(
      `[build-client] failed: ${err instanceof Error ? err.message.split('\n')[0] : err}`,
    );
    process.exitCode = 1;
  }
}

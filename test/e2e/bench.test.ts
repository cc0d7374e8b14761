/**
 * `ebpf-lab bench` with real sandboxes (one round, the browser Run through a real lab server):
 * every field of its JSON is there and is a number. The figures themselves are the bench's
 * business, not a test's: no timing asserted.
 */
import { expect, it } from 'vitest';
import { runBench } from '../../cli/bench.js';

it('measures a cold boot, a template restore and the browser Run side by side, as numbers', async () => {
  const result = await runBench(1);
  for (const field of [
    'boot_ready_ms',
    'cold_run_ms',
    'warm_run_ms_median',
    'warm_compile_run_ms_median',
    'guide_run_ms',
    'ratio_warm_to_guide',
    'shell_script_first_line_ms',
    'browser_run_ms_median',
    'browser_run_ratio',
    'restore_ready_ms',
    'first_run_ms',
    'first_run_ratio',
    'idle_cpu_pct_per_sandbox',
    'idle_cpu_pct_attached',
    'pss_mb_per_sandbox',
    'pss_mb_restored',
    'private_mb_per_sandbox',
    'includes_compile_ms',
    'includes_compile_ms_unprecompiled',
  ] as const) {
    expect(typeof result[field], field).toBe('number');
    expect(Number.isFinite(result[field]), field).toBe(true);
  }
  expect(result.restore_ready_ms).toBeGreaterThan(0);
  expect(result.pss_mb_per_sandbox).toBeGreaterThan(0);
  // What no other sandbox shares is part of its PSS, and not all of it: the template's pages are.
  expect(result.private_mb_per_sandbox).toBeGreaterThan(0);
  expect(result.private_mb_per_sandbox).toBeLessThan(result.pss_mb_per_sandbox);
}, 1_800_000);

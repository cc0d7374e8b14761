/**
 * `ebpf-lab bench --learners 2`, shortened: two simulated learners on a real lab server with real
 * sandboxes (restored from the template), each going through edit, compile-ahead, Run, Check for
 * about a minute. Every figure of its JSON is a number and nothing failed; how fast is the
 * bench's business, not a test's: no timing asserted.
 */
import { expect, it } from 'vitest';
import { runCapacity } from '../../cli/capacity.js';

it('two learners edit, Run and Check through the lab server, and every figure is a number', async () => {
  const result = await runCapacity({ learners: 2, minutes: 1, templates: true }, (text) =>
    console.log(`[capacity] ${text}`),
  );
  // What `--json` prints: a figure that is NaN there would be null.
  const json = JSON.parse(JSON.stringify(result));
  expect(json.failure_reasons).toEqual([]);
  expect(json.failures).toBe(0);
  for (const field of [
    'cycles',
    'run_ms_p50',
    'run_ms_p95',
    'check_ms_p50',
    'check_ms_p95',
    'sandboxes',
    'sandboxes_from_template',
    'sandboxes_peak',
    'sandbox_ready_ms_p50',
    'sandbox_ready_ms_p95',
    'host_cpus',
    'host_cpu_pct',
    'host_mem_total_mb',
    'host_mem_used_mb_start',
    'host_mem_used_mb_peak',
    'duration_s',
  ]) {
    expect(typeof json[field], field).toBe('number');
  }
  expect(json.cycles).toBeGreaterThanOrEqual(2);
  expect(json.sandboxes).toBeGreaterThanOrEqual(2);
  expect(json.samples.run_ms.length).toBe(json.cycles);
}, 600_000);

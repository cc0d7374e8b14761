import { sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveConfig } from './config.js';

describe('the lab configuration', () => {
  it('keeps the database in <cache>/data unless EBPF_LAB_DATA or an override says where', () => {
    expect(resolveConfig({}, {}).dataDir).toBe(DEFAULT_CONFIG.dataDir);
    expect(DEFAULT_CONFIG.dataDir.endsWith(`${sep}data`)).toBe(true);
    expect(resolveConfig({}, { EBPF_LAB_DATA: '/srv/lab' }).dataDir).toBe('/srv/lab');
    expect(resolveConfig({ dataDir: '/tmp/x' }, { EBPF_LAB_DATA: '/srv/lab' }).dataDir).toBe(
      '/tmp/x',
    );
  });
});

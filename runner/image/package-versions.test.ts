import { describe, expect, it } from 'vitest';
import { parseDpkgStatus, toolSummary, toolVersions, upstreamVersion } from './package-versions.js';

const STATUS = `Package: python3-bpfcc
Status: install ok installed
Version: 0.31.0+ds-7

Package: clang-19
Status: install ok installed
Architecture: amd64
Version: 1:19.1.7-3+b1

Package: clang-18
Status: deinstall ok config-files
Version: 1:18.1.8-18

Package: linux-image-6.12.118+deb13-cloud-amd64
Status: install ok installed
Version: 6.12.118-1

Package: linux-image-cloud-amd64
Status: install ok installed
Version: 6.12.118-1

Package: bpftrace
Status: install ok installed
Version: 0.23.2-1

Package: python3
Status: install ok installed
Version: 3.13.5-1
`;

describe('parseDpkgStatus', () => {
  it('keeps installed packages only', () => {
    const installed = parseDpkgStatus(STATUS);
    expect(installed.get('clang-19')).toBe('1:19.1.7-3+b1');
    expect(installed.has('clang-18')).toBe(false);
    expect(installed.size).toBe(6);
  });
});

describe('toolVersions', () => {
  it('finds each tool by its (versioned) package, skipping the meta-packages', () => {
    const tools = toolVersions(parseDpkgStatus(STATUS));
    expect(tools).toEqual([
      { tool: 'kernel', package: 'linux-image-6.12.118+deb13-cloud-amd64', version: '6.12.118-1' },
      { tool: 'BCC', package: 'python3-bpfcc', version: '0.31.0+ds-7' },
      { tool: 'bpftrace', package: 'bpftrace', version: '0.23.2-1' },
      { tool: 'clang', package: 'clang-19', version: '1:19.1.7-3+b1' },
      { tool: 'Python', package: 'python3', version: '3.13.5-1' },
    ]);
  });

  it('picks the newest of several versioned packages', () => {
    const tools = toolVersions(
      new Map([
        ['clang-9', '1:9'],
        ['clang-19', '1:19.1.7-3'],
        ['clang-14', '1:14'],
      ]),
    );
    expect(tools).toEqual([{ tool: 'clang', package: 'clang-19', version: '1:19.1.7-3' }]);
  });
});

describe('upstreamVersion', () => {
  it.each([
    ['1:19.1.7-3+b1', '19.1.7'],
    ['0.31.0+ds-7', '0.31.0'],
    ['7.5.0+6.12.118-1', '7.5.0'],
    ['3.13.5-1', '3.13.5'],
    ['6.12.118-1', '6.12.118'],
    ['2', '2'],
  ])('%s is %s', (debian, upstream) => expect(upstreamVersion(debian)).toBe(upstream));
});

describe('toolSummary', () => {
  it('names the tools asked for, in that order, skipping missing ones', () => {
    const tools = toolVersions(parseDpkgStatus(STATUS));
    expect(toolSummary(tools, ['BCC', 'bpftrace', 'bpftool', 'clang'])).toBe(
      'BCC 0.31.0, bpftrace 0.23.2, clang 19.1.7',
    );
  });
});

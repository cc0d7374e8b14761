/**
 * The versions of the tools in a built guest image, read from its dpkg database: written into
 * the image's manifest (shown by `ebpf-lab image info`) and into the guest (the agent reports
 * them in its `ready` message, so the lab's status names them).
 */

import type { ToolVersion } from '../protocol/messages.js';

export type { ToolVersion };

/** `Package` → `Version` of every installed package in a dpkg `status` file. */
export function parseDpkgStatus(text: string): Map<string, string> {
  const installed = new Map<string, string>();
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}: *(.*)$`, 'm').exec(stanza)?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    if (name && version && field('Status')?.endsWith(' installed')) installed.set(name, version);
  }
  return installed;
}

/**
 * Which package stands for which tool. A pattern matches versioned package names (`clang-19`,
 * `libllvm19`, `linux-image-6.12.57+deb13-cloud-amd64`); the highest match wins.
 */
const TOOL_PACKAGES: readonly (readonly [string, RegExp])[] = [
  ['kernel', /^linux-image-\d.*-cloud-amd64$/],
  ['kernel headers', /^linux-headers-\d.*-cloud-amd64$/],
  ['BCC', /^python3-bpfcc$/],
  ['bpfcc-tools', /^bpfcc-tools$/],
  ['bpftrace', /^bpftrace$/],
  ['bpftool', /^bpftool$/],
  ['clang', /^clang-\d+$/],
  ['LLVM', /^libllvm\d+$/],
  ['libbpf', /^libbpf1$/],
  ['Python', /^python3$/],
];

export function toolVersions(installed: Map<string, string>): ToolVersion[] {
  const tools: ToolVersion[] = [];
  for (const [tool, pattern] of TOOL_PACKAGES) {
    const matches = [...installed.keys()].filter((name) => pattern.test(name)).sort(byVersionTail);
    const name = matches.at(-1);
    if (name) tools.push({ tool, package: name, version: installed.get(name) ?? '' });
  }
  return tools;
}

function byVersionTail(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** The upstream part of a Debian version: `1:19.1.7-3+b1` → `19.1.7`, `0.31.0+ds-7` → `0.31.0`. */
export function upstreamVersion(debianVersion: string): string {
  const withoutEpoch = debianVersion.replace(/^\d+:/, '');
  return /^[0-9][0-9.]*[0-9]|^[0-9]/.exec(withoutEpoch)?.[0] ?? withoutEpoch;
}

/** One line for a status message: `BCC 0.31.0, bpftrace 0.23.2, clang 19.1.7, Python 3.13.5`. */
export function toolSummary(tools: readonly ToolVersion[], names: readonly string[]): string {
  return names
    .map((name) => tools.find((t) => t.tool === name))
    .filter((t): t is ToolVersion => t !== undefined)
    .map((t) => `${t.tool} ${upstreamVersion(t.version)}`)
    .join(', ');
}

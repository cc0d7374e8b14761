import { describe, expect, it } from 'vitest';
import { debianSources, ROOTFS_RECIPE } from './recipe.js';

describe('debianSources', () => {
  it("are the guest image's suite (trixie), with its updates and security", () => {
    expect(ROOTFS_RECIPE.suite).toBe('trixie');
    expect(debianSources({})).toEqual([
      'deb http://deb.debian.org/debian trixie main',
      'deb http://deb.debian.org/debian trixie-updates main',
      'deb http://deb.debian.org/debian-security trixie-security main',
    ]);
  });

  it('follow another suite when asked (the Vagrant VM test stays on bookworm)', () => {
    const sources = debianSources(
      { EBPF_LAB_DEBIAN_MIRROR: 'http://mirror.example/debian' },
      'bookworm',
    );
    expect(sources[0]).toBe('deb http://mirror.example/debian bookworm main');
    expect(sources.every((line) => !line.includes('trixie'))).toBe(true);
  });
});

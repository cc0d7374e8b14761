import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { labBaseUrl } from './lab-url.js';

const info = (address: string, family: 'IPv4' | 'IPv6', internal = false) =>
  ({ address, family, internal }) as NetworkInterfaceInfo;
const INTERFACES = {
  lo: [info('127.0.0.1', 'IPv4', true), info('::1', 'IPv6', true)],
  eth0: [info('fe80::1', 'IPv6'), info('192.168.1.5', 'IPv4')],
};

describe("the lab's address for learners", () => {
  it('is --public-url when given', () => {
    expect(
      labBaseUrl({ publicUrl: 'https://lab.example/', listenHost: '0.0.0.0', port: 3000 }),
    ).toBe('https://lab.example');
  });

  it('is the listen address, or this machine’s network address when listening on all', () => {
    expect(labBaseUrl({ listenHost: '127.0.0.1', port: 3000, interfaces: INTERFACES })).toBe(
      'http://127.0.0.1:3000',
    );
    expect(labBaseUrl({ listenHost: '0.0.0.0', port: 8080, interfaces: INTERFACES })).toBe(
      'http://192.168.1.5:8080',
    );
    expect(labBaseUrl({ listenHost: '::', port: 80, interfaces: { lo: INTERFACES.lo } })).toBe(
      'http://127.0.0.1:80',
    );
    expect(
      labBaseUrl({
        listenHost: '0.0.0.0',
        port: 3000,
        interfaces: { eth0: [info('2001:db8::5', 'IPv6')] },
      }),
    ).toBe('http://[2001:db8::5]:3000');
  });
});

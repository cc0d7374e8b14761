import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AllowedHosts, hostNameOf } from './allowed-hosts.js';

describe('hostNameOf', () => {
  it('takes the name out of name, name:port and [v6]:port', () => {
    expect(hostNameOf('127.0.0.1:3000')).toBe('127.0.0.1');
    expect(hostNameOf('LocalHost')).toBe('localhost');
    expect(hostNameOf('[::1]:3000')).toBe('::1');
  });

  it('refuses what is not a plain host', () => {
    for (const bad of [undefined, '', 'a b', 'evil.example/x', 'user@127.0.0.1', '[::1', ':::']) {
      expect(hostNameOf(bad)).toBeUndefined();
    }
  });
});

describe('AllowedHosts', () => {
  const loopback = new AllowedHosts({ listenHost: '127.0.0.1' });

  it('answers to the loopback names on any port', () => {
    for (const host of ['127.0.0.1:3000', 'localhost:3000', '[::1]:3000', 'localhost']) {
      expect(loopback.allowsHost(host)).toBe(true);
    }
  });

  it('refuses a rebound name, even with a matching Origin', () => {
    expect(loopback.allowsHost('evil.example:3000')).toBe(false);
    expect(loopback.allowsOrigin('http://evil.example:3000', 'evil.example:3000')).toBe(false);
    expect(loopback.allowsHost('127.0.0.1.evil.example:3000')).toBe(false);
  });

  it('accepts an Origin only when it is this lab at the address the request went to', () => {
    expect(loopback.allowsOrigin('http://127.0.0.1:3000', '127.0.0.1:3000')).toBe(true);
    expect(loopback.allowsOrigin('http://127.0.0.1:4000', '127.0.0.1:3000')).toBe(false);
    expect(loopback.allowsOrigin('http://evil.example', '127.0.0.1:3000')).toBe(false);
    expect(loopback.allowsOrigin('file://', '127.0.0.1:3000')).toBe(false);
    expect(loopback.allowsOrigin('null', '127.0.0.1:3000')).toBe(false);
    expect(loopback.allowsOrigin(undefined, '127.0.0.1:3000')).toBe(false);
  });

  it('adds the --host address and the --public-url name', () => {
    const lab = new AllowedHosts({
      listenHost: '192.0.2.10',
      publicUrl: 'https://Lab.Example:8443/',
    });
    expect(lab.allowsHost('192.0.2.10:3000')).toBe(true);
    expect(lab.allowsHost('lab.example:8443')).toBe(true);
    expect(lab.allowsOrigin('https://lab.example:8443', 'lab.example:8443')).toBe(true);
    expect(lab.allowsHost('192.0.2.11:3000')).toBe(false);
  });

  it("on every interface, answers to this machine's own addresses and name only", () => {
    const any = new AllowedHosts({ listenHost: '0.0.0.0' });
    expect(any.allowsHost(`${hostname()}:3000`)).toBe(true);
    expect(any.allowsHost('127.0.0.1:3000')).toBe(true);
    expect(any.allowsHost('evil.example:3000')).toBe(false);
  });
});

/**
 * Which host names this lab answers to. A browser page on any site can rebind its own name to
 * 127.0.0.1 (DNS rebinding); its requests then reach the lab with `Host: evil.example:3000`
 * and a matching `Origin`, so "Origin equals Host" proves nothing. The lab therefore accepts
 * only names it is really served under: the loopback names, the address given to `--host`,
 * the name in `--public-url`, and — when it listens on every interface — this machine's own
 * addresses and host name. Everything else is refused on every route, the WebSocket included.
 */
import { hostname, networkInterfaces } from 'node:os';

export interface AllowedHostsOptions {
  /** The address the server listens on (`--host`). */
  listenHost: string;
  /** The URL learners use when it is not one of the above (`--public-url`). */
  publicUrl?: string;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const ANY_ADDRESS = new Set(['0.0.0.0', '::', '']);

/** A host name in the form the URL parser gives (lower case, IPv6 without brackets). */
function normalize(name: string): string {
  return name.toLowerCase().replace(/^\[|\]$/g, '');
}

export function allowedHostNames(options: AllowedHostsOptions): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  const listen = normalize(options.listenHost);
  if (ANY_ADDRESS.has(listen)) {
    names.add(normalize(hostname()));
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) names.add(normalize(address.address));
    }
  } else {
    names.add(listen);
  }
  if (options.publicUrl) names.add(normalize(new URL(options.publicUrl).hostname));
  return names;
}

/**
 * The host name of a `Host` header value (`name`, `name:port`, `[v6]:port`), or undefined when
 * it is not a plain host: a header that does not parse is refused, never guessed at.
 */
export function hostNameOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader || /[\s/@?#\\]/.test(hostHeader)) return undefined;
  try {
    return normalize(new URL(`http://${hostHeader}`).hostname);
  } catch {
    return undefined; // not a host[:port]: refused by the caller
  }
}

export class AllowedHosts {
  private readonly names: Set<string>;

  constructor(options: AllowedHostsOptions) {
    this.names = allowedHostNames(options);
  }

  /** Whether a request's `Host` header names this lab. */
  allowsHost(hostHeader: string | undefined): boolean {
    const name = hostNameOf(hostHeader);
    return name !== undefined && this.names.has(name);
  }

  /**
   * Whether an `Origin` is a page of this lab: an http(s) origin whose host is allowed and
   * whose host and port are those the request was sent to.
   */
  allowsOrigin(origin: string | undefined, hostHeader: string | undefined): boolean {
    if (!origin || !hostHeader || !URL.canParse(origin)) return false;
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    return url.host === hostHeader.toLowerCase() && this.allowsHost(hostHeader);
  }

  /** For error messages and docs. */
  list(): string[] {
    return [...this.names];
  }
}

/**
 * The address learners (and the instructor) open, for the join URL, its QR code, resume links
 * and the instructor link: `--public-url` when given; else the address the lab listens on; and
 * when it listens on every interface, this machine's first network address (a learner's
 * laptop cannot open 0.0.0.0 or 127.0.0.1 of the instructor's machine).
 */
import { type NetworkInterfaceInfo, networkInterfaces } from 'node:os';

export interface LabUrlInputs {
  publicUrl?: string;
  listenHost: string;
  port: number;
  /** This machine's interfaces (tests pass their own). */
  interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::', '']);

export function labBaseUrl({
  publicUrl,
  listenHost,
  port,
  interfaces = networkInterfaces(),
}: LabUrlInputs): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  const host = ANY_ADDRESS.has(listenHost) ? (lanAddress(interfaces) ?? '127.0.0.1') : listenHost;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The first external IPv4 address, else the first external IPv6 one (not link-local). */
function lanAddress(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): string | undefined {
  const external = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((info) => !info.internal);
  return (
    external.find((info) => info.family === 'IPv4')?.address ??
    external.find((info) => info.family === 'IPv6' && !info.address.startsWith('fe80'))?.address
  );
}

/**
 * The web lab's settings: frozen defaults, then environment variables, then command-line
 * flags, validated once at start so a typo fails loudly instead of half-working.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { cacheRoot, PACKAGE_ROOT } from '../../runner/paths.js';
import { defaultCapacity, thisMachine } from './capacity.js';

/** The sandboxes this machine holds at once by default (capacity.ts). */
export const MACHINE_CAPACITY = defaultCapacity(thisMachine());

export const LabConfig = z.strictObject({
  host: z.string().min(1).describe('Address to listen on; 127.0.0.1 unless told otherwise.'),
  port: z.number().int().min(0).max(65535).describe('TCP port; 0 picks a free one.'),
  lessonsDir: z.string().min(1).describe('The curriculum: one folder per lesson.'),
  clientDir: z.string().min(1).describe('The built browser client.'),
  dataDir: z
    .string()
    .min(1)
    .describe("Where the lab keeps its database (lab.db): learners' progress, classes, runs."),
  idleTimeoutMs: z
    .number()
    .int()
    .positive()
    .describe('Stop a sandbox after this long without activity.'),
  reconnectGraceMs: z
    .number()
    .int()
    .min(0)
    .describe('Keep a sandbox this long after its last tab closes.'),
  maxSessions: z
    .number()
    .int()
    .positive()
    .describe('Sandboxes at once on this server; further learners wait in line for one.'),
  sessionsPerAddress: z
    .number()
    .int()
    .positive()
    .optional()
    .describe(
      'Learners (browsers) from one network address; default 4 when serving a network, unbounded on 127.0.0.1 (every client is this machine).',
    ),
  warmSandboxes: z.number().int().min(0).max(8).describe('Sandboxes booted ahead of need.'),
  publicUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'The URL learners open when it is not 127.0.0.1, localhost or --host (a name or proxy in front of the lab); requests for any other host name are refused.',
    ),
});
export type LabConfig = z.infer<typeof LabConfig>;

export const DEFAULT_CONFIG: Readonly<LabConfig> = Object.freeze({
  host: '127.0.0.1',
  port: 3000,
  lessonsDir: join(PACKAGE_ROOT, 'lessons'),
  clientDir: join(PACKAGE_ROOT, 'dist', 'client'),
  dataDir: join(cacheRoot(), 'data'),
  idleTimeoutMs: 15 * 60_000,
  reconnectGraceMs: 60_000,
  maxSessions: MACHINE_CAPACITY.slots,
  warmSandboxes: 1,
});

const ENV: Record<string, keyof LabConfig> = {
  EBPF_LAB_HOST: 'host',
  EBPF_LAB_PORT: 'port',
  EBPF_LAB_LESSONS: 'lessonsDir',
  EBPF_LAB_DATA: 'dataDir',
  EBPF_LAB_IDLE_TIMEOUT_MS: 'idleTimeoutMs',
  EBPF_LAB_MAX_SESSIONS: 'maxSessions',
  EBPF_LAB_SESSIONS_PER_ADDRESS: 'sessionsPerAddress',
  EBPF_LAB_WARM_SANDBOXES: 'warmSandboxes',
  EBPF_LAB_PUBLIC_URL: 'publicUrl',
};

const NUMERIC = new Set<keyof LabConfig>([
  'port',
  'idleTimeoutMs',
  'reconnectGraceMs',
  'maxSessions',
  'sessionsPerAddress',
  'warmSandboxes',
]);

/** Defaults < environment < `overrides`; throws naming the setting that is wrong. */
export function resolveConfig(
  overrides: Partial<Record<keyof LabConfig, string | number>> = {},
  env: NodeJS.ProcessEnv = process.env,
): LabConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const [name, key] of Object.entries(ENV)) {
    if (env[name] !== undefined && env[name] !== '') merged[key] = env[name];
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) merged[key] = value;
  }
  for (const key of NUMERIC) {
    if (typeof merged[key] === 'string') merged[key] = Number(merged[key]);
  }
  const parsed = LabConfig.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid setting ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return Object.freeze(parsed.data);
}

/** Sessions from one address when serving a network and no bound is set. */
export const DEFAULT_SESSIONS_PER_ADDRESS = 4;

/** The per-address bound in force: on loopback every client is this machine, so none. */
export function sessionsPerAddress(config: LabConfig): number | undefined {
  if (config.sessionsPerAddress !== undefined) return config.sessionsPerAddress;
  return isLoopback(config.host) ? undefined : DEFAULT_SESSIONS_PER_ADDRESS;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

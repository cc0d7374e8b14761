/**
 * Text for what a probe hands to user space: decoded C values, perf/ring buffer events and map
 * entries. One formatting for the CLI, the web lab's Trace output and its Maps view. Imports
 * only types, so the browser client can use it.
 */
import { isLabTask } from '../protocol/lab-tasks.js';
import type { CValue, MapSnapshot, ProbeEvent } from '../protocol/messages.js';

/** `42`, `"cat"`, `[1, 2]`, `{pid=1 comm="cat"}`. */
export function formatCValue(value: CValue): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map(formatCValue).join(', ')}]`;
  return `{${formatFields(value)}}`;
}

/** A struct's fields as `name=value` pairs; any other value as itself. */
export function formatFields(value: CValue): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return formatCValue(value);
  }
  return Object.entries(value)
    .map(([name, field]) => `${name}=${formatCValue(field)}`)
    .join(' ');
}

/** `events: pid=4321 uid=0 command="cat" message="Hello World"`. */
export function formatEvent(event: ProbeEvent): string {
  const body =
    event.fields !== undefined
      ? formatFields(event.fields)
      : `${event.size} bytes: ${spacedHex(event.raw ?? '')}`;
  return `${event.map}: ${body}${event.truncated ? ' (truncated)' : ''}`;
}

function spacedHex(hex: string): string {
  return (hex.match(/.{1,2}/g) ?? []).join(' ');
}

/** Whether a value holds a lab process's name (e.g. a `comm` field): the lab's own doing. */
export function mentionsLabTask(value: CValue | undefined): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return isLabTask(value);
  if (typeof value !== 'object') return false;
  return (Array.isArray(value) ? value : Object.values(value)).some(mentionsLabTask);
}

/** A map key for a table row: a struct's fields (`comm="cat"`), a histogram's bucket range. */
export function formatKey(map: MapSnapshot, key: CValue): string {
  if (map.histogram === 'log2' && typeof key === 'number') return log2Range(key);
  return formatFields(key);
}

/** BCC's log2 buckets: slot 0 holds 0, slot n holds 2^(n-1) to 2^n - 1 (as print_log2_hist). */
export function log2Range(slot: number): string {
  if (slot <= 0) return '0';
  const low = 1n << BigInt(slot - 1);
  const high = (1n << BigInt(slot)) - 1n;
  return low === high ? `${low}` : `${low} -> ${high}`;
}

export function formatValue(value: CValue): string {
  return formatFields(value);
}

/** A per-CPU value: `7 (cpu0 3, cpu1 4)`. */
export function formatEntryValue(entry: MapSnapshot['entries'][number]): string {
  const value = formatValue(entry.value);
  if (!entry.perCpu) return value;
  const cpus = entry.perCpu.map((v, cpu) => `cpu${cpu} ${formatCValue(v)}`).join(', ');
  return Array.isArray(entry.value) ? `(${cpus})` : `${value} (${cpus})`;
}

/** `opens (hash, struct key_t -> u64): 3 entries` and what the map holds besides its rows. */
export function describeMap(map: MapSnapshot): string {
  if (map.events !== null) return `${map.name} (${map.kind}): ${plural(map.events, 'event')}`;
  const types = map.keyType ? `, ${map.keyType} -> ${map.valueType}` : '';
  const kind = map.histogram ? `${map.kind}, ${map.histogram} histogram` : map.kind;
  const counted = map.note
    ? map.note
    : `${map.scanned ? '' : 'more than '}${plural(map.total, 'entry', 'entries')}${
        map.kind.includes('array') && !map.histogram ? ' (non-zero)' : ''
      }`;
  return `${map.name} (${kind}${types}): ${counted}`;
}

/** A histogram row's bar: `****` scaled to the largest count, as BCC's print_log2_hist. */
export function bar(value: CValue, max: number, width = 30): string {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || max <= 0 || n <= 0) return '';
  return '*'.repeat(Math.max(1, Math.round((n / max) * width)));
}

/** Every map as indented text, for a terminal. */
export function formatMaps(maps: MapSnapshot[]): string[] {
  const lines: string[] = [];
  for (const map of maps) {
    lines.push(describeMap(map));
    const keys = map.entries.map((e) => formatKey(map, e.key));
    const width = Math.min(40, Math.max(0, ...keys.map((k) => k.length)));
    const max = Math.max(0, ...map.entries.map((e) => Number(e.value) || 0));
    map.entries.forEach((entry, i) => {
      const value = formatEntryValue(entry);
      const stars = map.histogram ? ` |${bar(entry.value, max)}` : '';
      lines.push(`  ${(keys[i] ?? '').padEnd(width)}  ${value}${stars}`);
    });
    if (map.more > 0) lines.push(`  … ${map.more} more not shown`);
  }
  return lines;
}

function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

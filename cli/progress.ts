/** Progress lines on stderr, so stdout stays clean for results (and --json). */
export function progressLine(scope: string, text: string, elapsedMs?: number): void {
  const time = elapsedMs === undefined ? '' : ` (${(elapsedMs / 1000).toFixed(1)} s)`;
  process.stderr.write(`[${scope}] ${text}${time}\n`);
}

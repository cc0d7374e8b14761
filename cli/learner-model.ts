/**
 * What a simulated learner of `ebpf-lab bench --learners N` does, and when: the model the
 * capacity figures rest on (README.md, "ebpf-lab bench", says it in words).
 *
 * Each learner opens lesson 2 (write the probe) in a tab of their own; learners arrive spread
 * evenly over the first ARRIVAL_WINDOW_MS. Then, until the bench's time is up, a cycle:
 *
 *   1. edit: a new source, the lesson's hello_world with a line of their own in its
 *      bpf_trace_printk (so every Run compiles something never compiled before);
 *   2. the page compiles it ahead (`prepare`) as they type; they wait for its answer;
 *   3. Run; once attached, `ls` typed in the shell; timed: Run → the first trace line;
 *   4. Check (the lesson's checks through the server); timed: Check → its verdict;
 *   5. think for 30–60 s (uniform; seeded, so two benches make the same choices).
 *
 * Pure: the bench's clock and sockets live in capacity.ts.
 */

/** Learners arrive over this long: about one think, so the cycles are spread when they start. */
export const ARRIVAL_WINDOW_MS = 30_000;
export const THINK_MIN_MS = 30_000;
export const THINK_MAX_MS = 60_000;

/**
 * The lesson every simulated learner works in (and the tab of `bench`'s browser Run shows): a
 * probe to write, a Run, and checks that run it.
 */
export const BENCH_LESSON = '02-write-the-probe';
export const PROBE_FILE = 'hello_world.c';
/** What every learner's trace line starts with (the lesson's `trace` check expects it). */
export const GREETING = 'Hello World!!';

/** When learner `index` (0-based) of `learners` opens the lab, in ms after the bench starts. */
export function arrivalMs(index: number, learners: number): number {
  return Math.round((index * ARRIVAL_WINDOW_MS) / Math.max(1, learners));
}

/**
 * A seeded pseudo-random source in [0, 1) (mulberry32): each learner's thinking is drawn from
 * their own, so a learner's schedule does not depend on how many others there are.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The random source of learner `index` in a bench seeded with `seed`. */
export function learnerRandom(seed: number, index: number): () => number {
  return seededRandom(Math.imul(seed ^ 0x9e3779b9, 31) + index);
}

/** A think between two cycles, in ms: uniform in [THINK_MIN_MS, THINK_MAX_MS). */
export function thinkMs(random: () => number): number {
  return Math.round(THINK_MIN_MS + random() * (THINK_MAX_MS - THINK_MIN_MS));
}

/**
 * The words learner `index` adds in cycle `cycle`: unique in the bench, and bracketed so no mark
 * is found inside another's trace line ("edit 1" inside "edit 12").
 */
export function editMark(index: number, cycle: number): string {
  return `(learner ${index + 1}, edit ${cycle})`;
}

/** The probe learner `index` has written by cycle `cycle` (1-based). */
export function learnerSource(index: number, cycle: number): string {
  return [
    'int hello_world(void *ctx) {',
    `    bpf_trace_printk("${GREETING} ${editMark(index, cycle)}\\n");`,
    '    return 0;',
    '}',
    '',
  ].join('\n');
}

/**
 * The names the lab's own processes give themselves in the sandbox (their `comm`, as trace lines
 * and `bpf_get_current_comm()` show it), so that what they do under a learner's probe can be told
 * from the learner's own work. Free of imports: the browser client uses it too. The guest reads
 * the same names from its protocol.json.
 */
export const LAB_TASKS = { agent: 'ebpf-lab-agent', worker: 'ebpf-lab-bcc' } as const;

const NAMES: ReadonlySet<string> = new Set(Object.values(LAB_TASKS));

/** Whether a task name (a trace line's task, a `comm` in a map key or an event) is the lab's. */
export function isLabTask(task: string): boolean {
  return NAMES.has(task);
}

/** How the web lab and the CLI tag a line of the lab's own in trace output. */
export const LAB_LINE_TAG = '[lab] ';

/**
 * Makes a sandbox as warm as it gets before a learner touches it: one probe compiled, loaded,
 * attached, fired and stopped, so BCC is imported, clang's first (slowest) compile is paid and
 * the kernel's kprobe and BPF paths have run once. A template is frozen after this, and a
 * sandbox booted cold gets it before the pool hands it out: the first Run costs what any other
 * new-source Run costs.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { prepareProbe, unloadProgram } from '../probe/prepare.js';
import { ProbeRun } from '../probe/probe-run.js';
import { execInSandbox } from './exec.js';
import type { Sandbox } from './sandbox.js';

const WARM_UP_SOURCE = `int ebpf_lab_warm_up(void *ctx) {
    bpf_trace_printk("ebpf-lab warm-up\\n");
    return 0;
}
`;
const WARM_UP_TIMEOUT_MS = 600_000;

export async function warmUp(sandbox: Sandbox): Promise<void> {
  // Compile ahead first, with a long bound: right after a start the worker is still importing
  // BCC, and on a busy host that first compile can outlast a learner's compile limit. The run
  // below then finds the program cached and only loads, attaches and fires it.
  const prepared = await prepareProbe(sandbox.agent, WARM_UP_SOURCE, {
    timeoutMs: WARM_UP_TIMEOUT_MS,
  });
  if (prepared.error) throw new Error(`the warm-up probe failed: ${prepared.error.message}`);
  let sawLine!: () => void;
  const line = new Promise<void>((resolve) => {
    sawLine = resolve;
  });
  const run = ProbeRun.start(
    sandbox.agent,
    { source: WARM_UP_SOURCE, attach: [{ kind: 'kprobe', target: 'clone' }] },
    (event) => {
      if (event.type === 'trace') sawLine();
    },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    await run.attached;
    // bash forks to run `ls`: a clone the probe sees.
    await execInSandbox(sandbox.agent, 'ls / > /dev/null');
    await Promise.race([
      line,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('the warm-up probe printed nothing')),
          WARM_UP_TIMEOUT_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await run.stop();
  }
  // Warm now, and of no use to the learner, who would find it in `bpftool prog show`.
  await unloadProgram(sandbox.agent, WARM_UP_SOURCE);
}

/**
 * For a sandbox restored from the (warm) template under software emulation: its guest is warm,
 * but qemu translates guest code into host code afresh in every process, and clang is a lot of
 * code. One compile of a source the worker has never seen (the template's worker has the plain
 * warm-up cached) pays that translation, about a third of a first Run, before a learner's first
 * Run would. Compiled and loaded as a compile-ahead is, then unloaded: nothing is left that a
 * learner's Run could meet or `bpftool prog show` would list.
 */
export async function warmTranslation(sandbox: Sandbox): Promise<void> {
  const source = `// translation warm-up ${randomUUID()}\n${WARM_UP_SOURCE}`;
  const prepared = await prepareProbe(sandbox.agent, source, { timeoutMs: WARM_UP_TIMEOUT_MS });
  if (prepared.error) throw new Error(`the warm-up compile failed: ${prepared.error.message}`);
  await unloadProgram(sandbox.agent, source);
}

/**
 * The `#include <...>` lines a program opens with, past blank lines and line comments: what the
 * BCC worker can precompile (runner/guest/bcc_headers.py reads them more thoroughly).
 */
export function leadingIncludes(source: string): string[] {
  const includes: string[] = [];
  for (const line of source.split('\n').map((text) => text.trim())) {
    if (line === '' || line.startsWith('//')) continue;
    const include = /^#\s*include\s*<([^<>]+)>$/.exec(line);
    if (!include) break;
    includes.push(`#include <${include[1]}>`);
  }
  return includes;
}

/** The distinct include lists the built-in lessons' C programs (given and solved) open with. */
export function lessonIncludeLists(lessonsDir = join(PACKAGE_ROOT, 'lessons')): string[][] {
  const lists = new Map<string, string[]>();
  for (const lesson of readdirSync(lessonsDir, { withFileTypes: true })) {
    if (!lesson.isDirectory()) continue;
    for (const folder of ['files', 'solution']) {
      let names: string[];
      try {
        names = readdirSync(join(lessonsDir, lesson.name, folder));
      } catch {
        continue;
      }
      for (const name of names.filter((file) => file.endsWith('.c'))) {
        const includes = leadingIncludes(
          readFileSync(join(lessonsDir, lesson.name, folder, name), 'utf8'),
        );
        if (includes.length > 0) lists.set(includes.join('\n'), includes);
      }
    }
  }
  return [...lists.values()];
}

/**
 * For a template: has the BCC worker precompile the includes the built-in lessons' programs
 * open with, so every sandbox restored from it compiles them in seconds from its first Run
 * (lesson 12's <linux/fs.h> is 26-28 s of each compile under emulation without). Each list is
 * compiled twice: the worker queues a PCH of includes that made a compile slow, and the second
 * compile waits for that PCH and its check. The probe keeps a map, so the worker keeps nothing
 * of it loaded. Another course's includes are precompiled in each sandbox as its learners
 * compile them.
 */
export async function precompileLessonIncludes(
  sandbox: Sandbox,
  onProgress: (text: string) => void = () => {},
): Promise<void> {
  for (const includes of lessonIncludeLists()) {
    onProgress(`precompiling ${includes.map((line) => line.slice('#include '.length)).join(' ')}`);
    for (const round of ['parse', 'precompiled']) {
      const source = `${includes.join('\n')}
BPF_ARRAY(ebpf_lab_counts, u64, 1);
int ebpf_lab_includes(void *ctx) {
    u32 key = 0;
    ebpf_lab_counts.increment(key);
    return 0;
}
// ${round}
`;
      const prepared = await prepareProbe(sandbox.agent, source, { timeoutMs: WARM_UP_TIMEOUT_MS });
      if (prepared.error) {
        // Not the template's failure: its sandboxes compile these as a learner's would.
        onProgress(`  not precompiled: ${prepared.error.message}`);
        break;
      }
    }
  }
}

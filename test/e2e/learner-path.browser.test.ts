/**
 * The learner's path through the whole course in a real Chromium, against the real server and
 * a real sandbox, following each lesson's text literally: the code it shows is typed where it
 * says (the `todo=` blocks in place of the TODO, the other edits where the text puts them), its
 * shell blocks go through "Run in shell", and what it promises is asserted (trace lines, shell
 * output, checks passed, the lesson marked done). One screenshot per lesson (and per notable
 * state) under test-results/screenshots/learner-path-*.png.
 *
 * The lessons run in order on one page, as one learner would take them: a later lesson sees
 * what an earlier one left behind (a script in the background, a program still loaded).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fencesOf, typeAtTodos } from '../../app/lessons/snippets.js';
import { resolveConfig } from '../../app/server/config.js';
import { type LabServer, startLabServer } from '../../app/server/server.js';
import { PACKAGE_ROOT } from '../../runner/paths.js';
import { SandboxPool } from '../../runner/sandbox/pool.js';
import { QemuSandboxDriver } from '../../runner/sandbox/qemu.js';
import { TEST_CAPACITY } from './helpers.js';
import { LabPage, SCRIPT_TIMEOUT_MS } from './lab-page.js';

const SCREENSHOTS = join(PACKAGE_ROOT, 'test-results', 'screenshots');
const LESSONS = join(PACKAGE_ROOT, 'lessons');
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Each lesson compiles and runs a few probes under software emulation on a shared machine.
const LESSON_TIMEOUT_MS = 900_000;

interface LessonFileView {
  name: string;
  starter: string;
  solution: string | null;
}
interface LessonView {
  id: string;
  title: string;
  files: LessonFileView[];
}

let lab: LabServer;
let pool: SandboxPool;
let browser: Browser;
let dataDir: string;
let lab_: LabPage;
let lessons: LessonView[];

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'ebpf-lab-learner-'));
  pool = new SandboxPool(new QemuSandboxDriver(), 0);
  lab = await startLabServer(
    resolveConfig({ port: 0, dataDir, warmSandboxes: 0, maxSessions: TEST_CAPACITY }),
    pool,
  );
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  lab_ = new LabPage(page, SCREENSHOTS);
  const course = await (await page.request.get(`${lab.url}/api/course`)).json();
  lessons = [];
  for (const { id } of course.lessons as { id: string }[]) {
    lessons.push(await (await page.request.get(`${lab.url}/api/lessons/${id}`)).json());
  }
});

afterAll(async () => {
  await browser?.close();
  await lab?.close();
  await pool?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function lesson(prefix: string): LessonView {
  const found = lessons.find((l) => l.id.startsWith(prefix));
  if (!found) throw new Error(`no lesson ${prefix}`);
  return found;
}

function file(view: LessonView, name: string): LessonFileView {
  const found = view.files.find((f) => f.name === name);
  if (!found) throw new Error(`lesson ${view.id} has no file ${name}`);
  return found;
}

async function open(prefix: string): Promise<LessonView> {
  const view = lesson(prefix);
  await lab_.open(`${lab.url}/lessons/${view.id}`, view.title);
  return view;
}

/** The lesson text's `todo=FILE` block, as the learner reads it. */
async function todoSnippet(view: LessonView, name: string): Promise<string> {
  const md = await readFile(join(LESSONS, view.id, 'lesson.md'), 'utf8');
  const fence = fencesOf(md).find((f) => f.options.todo === name);
  if (!fence) throw new Error(`${view.id}: no todo=${name} block in the text`);
  return fence.text;
}

/** 1-based first and last line of the first TODO comment of a starter. */
function todoLines(starter: string): { from: number; to: number } {
  const lines = starter.split('\n');
  const marker = /^\s*(\/\/|#)/;
  const start = lines.findIndex((l) => marker.test(l) && /\bTODO\b/.test(l));
  expect(start).toBeGreaterThanOrEqual(0);
  let end = start;
  while (marker.test(lines[end + 1] ?? '') && !/\bTODO\b/.test(lines[end + 1] ?? '')) end++;
  return { from: start + 1, to: end + 1 };
}

/** Replaces the first TODO comment of `name` in the editor with the text's block for it. */
async function typeTodoSnippet(view: LessonView, name: string): Promise<string> {
  const snippet = await todoSnippet(view, name);
  const { from, to } = todoLines(file(view, name).starter);
  await lab_.replaceLines(from, to, snippet.replace(/^\s+/, ''));
  const firstLine = (snippet.split('\n')[0] ?? '').trim();
  await expect.poll(() => lab_.editorText()).toContain(firstLine);
  return snippet;
}

/**
 * Runs a shell block of the text (by its commands) and waits for the prompt to come back; not
 * while a script runs in the background, whose lines may come after the prompt.
 */
async function shell(
  commands: string[],
  options: { occurrence?: number; background?: boolean } = {},
): Promise<void> {
  const last = commands.at(-1) ?? '';
  const before = await lab_.echoCount(last);
  await lab_.runInShell(commands, options.occurrence ?? 0);
  if (!options.background) await lab_.waitForPrompt(last, before);
  else await lab_.page.waitForTimeout(1000);
}

/** `kill %%`, as the text says, then `jobs` until bash reports the job gone. */
async function killJob(): Promise<void> {
  const gone = /\[\d+\][+-]? +(Terminated|Done|Exit)/g;
  const before = await lab_.countInTerminal('Sandbox shell', gone);
  await lab_.typeInShell('kill %%');
  await expect
    .poll(
      async () => {
        await lab_.page.waitForTimeout(2000);
        await lab_.typeInShell('jobs');
        return lab_.countInTerminal('Sandbox shell', gone);
      },
      { timeout: 60_000, interval: 1000 },
    )
    .toBeGreaterThan(before);
}

/**
 * One lesson's walk: a screenshot when it fails too (what the learner would have seen), and
 * the time it took in the log.
 */
function walk(name: string, steps: () => Promise<void>): void {
  it(name, { timeout: LESSON_TIMEOUT_MS }, async () => {
    const started = Date.now();
    try {
      await steps();
    } catch (error) {
      await lab_.shot(`learner-path-FAILED-${name.split('.')[0]}`);
      // Said at once (vitest lists failures only at the end of a long file).
      console.log(`${name.split(':')[0]} FAILED (status: ${await lab_.statusText()}): ${error}`);
      const shellText = await lab_.terminalText('Sandbox shell').catch(() => '');
      console.log(`shell, last lines:\n${shellText.split('\n').slice(-40).join('\n')}`);
      throw error;
    } finally {
      console.log(`${name.split(':')[0]}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
  });
}

describe.sequential('the learner follows all thirteen lessons literally', () => {
  walk('1. What is eBPF: Run, date and ls print Hello World!!, Stop, Check', async () => {
    await open('01-');
    expect(await lab_.run()).toMatch(/Attached to kprobe __x64_sys_clone/);
    await shell(['date', 'ls', 'pwd']);
    await lab_.waitInTerminal('Trace output', /Hello World!!/, 60_000);
    await lab_.stop();
    await lab_.checkPasses();
    await lab_.shot('learner-path-01');
  });

  walk('2. Write the probe: replace the TODO, Run, date, Check', async () => {
    const view = await open('02-');
    const { from, to } = todoLines(file(view, 'hello_world.c').starter);
    await lab_.replaceLines(from, to, 'bpf_trace_printk("Hello World!! \\n");');
    expect(await lab_.editorText()).toContain('bpf_trace_printk("Hello World!! \\n");');
    await lab_.run(/Attached to kprobe __x64_sys_clone/);
    await shell(['date']);
    await lab_.waitInTerminal('Trace output', /Hello World!!/, 60_000);
    await lab_.checkPasses();
    await lab_.shot('learner-path-02');
  });

  walk('3. Load it: the missing ; on line 4, the name, bpftool, the bytecode, Check', async () => {
    await open('03-');
    await lab_.run('error');
    const problems = lab_.page.getByRole('list', { name: 'Problems' });
    await expect.poll(() => lab_.textOf(problems), { timeout: 60_000 }).toMatch(/line 4: .*';'/);
    await lab_.shot('learner-path-03a-missing-semicolon');
    await lab_.goToLine(4);
    await lab_.page.keyboard.press('End');
    await lab_.page.keyboard.type(';');
    await lab_.run(/Attached to kprobe __x64_sys_clone/);
    await shell(['bpftool prog show name hello']);
    await lab_.waitInTerminal('Sandbox shell', /kprobe +name hello +tag/, 30_000);
    // Rename the function, as the text says, then Run again and look for it.
    // (Typing only the new part: Monaco closes a typed `{` by itself.)
    await lab_.goToLine(3);
    for (let i = 0; i < 'int hello'.length; i++) await lab_.page.keyboard.press('ArrowRight');
    await lab_.page.keyboard.type('_world');
    await expect.poll(() => lab_.editorText()).toContain('int hello_world(void *ctx) {');
    await lab_.run(/Attached to kprobe __x64_sys_clone/);
    await shell(['bpftool prog show name hello_world']);
    await lab_.waitInTerminal('Sandbox shell', /\d+: kprobe +name hello_world +tag/, 30_000);
    await lab_.button('Show bytecode').click();
    const bytecode = lab_.region('Bytecode');
    await expect
      .poll(() => lab_.textOf(bytecode), { timeout: 60_000 })
      .toMatch(/Verified instructions[\s\S]*call[\s\S]*exit/i);
    await lab_.shot('learner-path-03b-bytecode');
    await lab_.button('Hide bytecode').click();
    await lab_.checkPasses();
    await lab_.shot('learner-path-03');
  });

  walk('4. Attach it: a message of your own, on clone and then on execve, Check', async () => {
    const view = await open('04-');
    const { from, to } = todoLines(file(view, 'hello_world.c').starter);
    await lab_.replaceLines(from, to, 'bpf_trace_printk("A new process!\\n");');
    await lab_.run(/Attached to kprobe __x64_sys_clone/);
    await shell(['date', 'ls', 'pwd']);
    await lab_.waitInTerminal('Trace output', /A new process!/, 60_000);
    // The tip: Stop, pick kprobe: execve, Run again.
    await lab_.stop();
    await lab_.page.getByLabel('Attach to').selectOption({ label: 'kprobe: execve' });
    await lab_.run(/Attached to kprobe __x64_sys_execve/);
    await shell(['date', 'ls', 'pwd']);
    await lab_.waitInTerminal('Trace output', /attached .*execve[\s\S]*A new process!/, 60_000);
    await lab_.checkPasses();
    await lab_.shot('learner-path-04');
  });

  walk(
    '5. The whole program: finish hello_world.py, run it like the guide, Check, kill it',
    async () => {
      const view = await open('05-');
      await lab_.openTab('hello_world.py');
      await typeTodoSnippet(view, 'hello_world.py');
      await expect.poll(() => lab_.editorText()).toContain('b.trace_print()');
      await shell(['ls']);
      await lab_.waitInTerminal('Sandbox shell', /hello_world\.py/, 30_000);
      // In the foreground first, then Ctrl+C, as the text says.
      const before = await lab_.echoCount('sudo python3 hello_world.py');
      await lab_.runInShell(['sudo python3 hello_world.py']);
      await lab_.page.waitForTimeout(5000);
      await lab_.pressInShell('Control+c');
      await lab_.waitForPrompt('sudo python3 hello_world.py', before);
      await shell(['sudo python3 hello_world.py &'], { background: true });
      // The script prints nothing until it is attached: start programs until its line comes.
      await expect
        .poll(
          async () => {
            await shell(['ls', 'date'], { background: true });
            // The script's lines are wider than the shell: joined back where xterm wrapped them.
            return (await lab_.terminalText('Sandbox shell')).replace(/\n/g, '');
          },
          { timeout: SCRIPT_TIMEOUT_MS, interval: 5000 },
        )
        .toMatch(/bpf_trace_printk: Hello World!!/);
      await lab_.shot('learner-path-05a-script-prints');
      await lab_.checkPasses();
      await killJob();
      await lab_.shot('learner-path-05');
    },
  );

  walk('6. Where it came from: tcpdump -d prints a classic BPF program, Check', async () => {
    await open('06-');
    await shell(["tcpdump -d 'ip and tcp port 80'"]);
    await lab_.waitInTerminal('Sandbox shell', /\(000\) ldh +\[12\]/, 30_000);
    await shell(['bash filters.sh']);
    await lab_.checkPasses();
    await lab_.shot('learner-path-06');
  });

  walk(
    '7. How it works: the verifier rejects line 7, the NULL check passes, the bytecode, the loop',
    async () => {
      const view = await open('07-');
      await lab_.run('error');
      await lab_.waitInTerminal(
        'Trace output',
        /R0 invalid mem access 'map_value_or_null'/,
        30_000,
      );
      await expect
        .poll(() => lab_.textOf(lab_.page.getByRole('list', { name: 'Problems' })))
        .toMatch(/line 7/);
      await lab_.shot('learner-path-07a-rejected');
      // "Add a check on a new line right after the lookup (line 6)".
      const starter = file(view, 'count_clones.c').starter.split('\n');
      const lookup = starter.findIndex((l) => l.includes('counter.lookup(&zero)')) + 1;
      expect(lookup).toBe(6);
      await lab_.goToLine(lookup);
      await lab_.page.keyboard.press('End');
      await lab_.page.keyboard.press('Enter');
      await lab_.page.keyboard.insertText('if (count == NULL)\n        return 0;');
      await lab_.run(/Attached to kprobe __x64_sys_clone/);
      await shell(['date', 'ls']);
      await lab_.waitInTerminal('Trace output', /process number \d+/, 60_000);
      await lab_.button('Show bytecode').click();
      await expect
        .poll(() => lab_.textOf(lab_.region('Bytecode')), { timeout: 60_000 })
        .toMatch(/if r0 == 0x0 goto/);
      await lab_.shot('learner-path-07b-bytecode');
      await lab_.button('Hide bytecode').click();
      // One more experiment: the unbounded loop is refused, the bounded one passes.
      await lab_
        .region('Lesson')
        .locator('.code-block', { hasText: 'while (n != 1)' })
        .getByRole('button', { name: 'Open in editor' })
        .click();
      await expect.poll(() => lab_.editorText()).toContain('while (n != 1)');
      await lab_.run('error');
      await lab_.waitInTerminal('Trace output', /too complex/, 30_000);
      const loop = (await lab_.editorText()).split('\n').findIndex((l) => l.includes('while (n'));
      // Select `while (n != 1)` and type the bounded loop's head over it.
      await lab_.goToLine(loop + 1);
      await lab_.page.keyboard.press('End');
      await lab_.page.keyboard.press('Home');
      for (let i = 0; i < 'while (n != 1)'.length; i++) {
        await lab_.page.keyboard.press('Shift+ArrowRight');
      }
      await lab_.page.keyboard.insertText('for (int i = 0; i < 200 && n != 1; i++)');
      await expect
        .poll(() => lab_.editorText())
        .toContain('for (int i = 0; i < 200 && n != 1; i++) {');
      await lab_.run(/Attached to kprobe __x64_sys_clone/);
      await lab_.checkPasses();
      await lab_.shot('learner-path-07');
    },
  );

  walk(
    '8. Events and handlers: fill comm and pid, the tracepoint, execve, back to the default, Check',
    async () => {
      const view = await open('08-');
      await typeTodoSnippet(view, 'show_process.c');
      await lab_.run(/Attached to tracepoint sched:sched_process_exec/);
      await shell(['date', 'ls', 'cat /etc/hostname']);
      await lab_.waitInTerminal('Trace output', /date \(pid \d+\)/, 60_000);
      await lab_.shot('learner-path-08a-tracepoint');
      // Same handler, other events: Stop, pick kprobe: execve, Run again.
      await lab_.stop();
      await lab_.page.getByLabel('Attach to').selectOption({ label: 'kprobe: execve' });
      await lab_.run(/Attached to kprobe __x64_sys_execve/);
      await shell(['date', 'ls', 'cat /etc/hostname']);
      await lab_.waitInTerminal('Trace output', /execve[\s\S]*bash \(pid \d+\)/, 60_000);
      await lab_.stop();
      await lab_.page.getByLabel('Attach to').selectOption({ index: 0 });
      await lab_.run(/Attached to tracepoint sched:sched_process_exec/);
      await lab_.checkPasses();
      await lab_.shot('learner-path-08');
    },
  );

  walk(
    '9. Tracing: the execve tracepoint, then a uprobe on bash from the shell, Check',
    async () => {
      const view = await open('09-');
      await lab_.run(/Attached to tracepoint syscalls:sys_enter_execve/);
      await shell(['date', 'ls /tmp']);
      await lab_.waitInTerminal('Trace output', /exec \/usr\/bin\/date/, 60_000);
      await lab_.stop();
      await lab_.openTab('bash_execs.py');
      await typeTodoSnippet(view, 'bash_execs.py');
      await shell(['python3 bash_execs.py &'], { background: true });
      await lab_.waitInTerminal('Sandbox shell', /Watching bash start programs/, SCRIPT_TIMEOUT_MS);
      await shell(['date', 'ls /tmp'], { occurrence: 1, background: true });
      await lab_.waitInTerminal('Sandbox shell', /bash runs \/usr\/bin\/date/, 30_000);
      await lab_.shot('learner-path-09a-uprobe');
      await lab_.checkPasses();
      await killJob();
      await lab_.shot('learner-path-09');
    },
  );

  walk(
    '10. Maps: count opens, bpftool dumps the map, count_opens.py prints counts, Check',
    async () => {
      const view = await open('10-');
      await typeTodoSnippet(view, 'count_opens.c');
      await lab_.run(/Attached to kprobe __x64_sys_openat/);
      await shell([
        'cat /etc/hostname',
        'bpftool map show name opens',
        'bpftool map dump name opens',
      ]);
      await lab_.waitInTerminal('Sandbox shell', /"comm": "cat"/, 30_000);
      await lab_.shot('learner-path-10a-map-dump');
      await lab_.stop();
      await shell(['python3 count_opens.py &'], { background: true });
      await lab_.waitInTerminal(
        'Sandbox shell',
        /Counting the files each program opens/,
        SCRIPT_TIMEOUT_MS,
      );
      await shell(['cat /etc/hostname', 'ls /usr/share'], { background: true });
      await lab_.waitInTerminal('Sandbox shell', /\ncat +\d+ opens/, 30_000);
      await lab_.checkPasses();
      await killJob();
      await lab_.shot('learner-path-10');
    },
  );

  walk(
    '11. Networking: the verifier refuses, the bounds check, XDP counts UDP, Check, drop',
    async () => {
      const view = await open('11-');
      // "Run the script as it is": the first python3 xdp_count.py block, in the foreground.
      await lab_.runInShell(['python3 xdp_count.py']);
      await lab_.waitInTerminal(
        'Sandbox shell',
        /R1 offset is outside of the packet/,
        SCRIPT_TIMEOUT_MS,
      );
      await lab_.waitForPrompt();
      await typeTodoSnippet(view, 'xdp_count.c');
      await shell(['python3 xdp_count.py &'], { background: true });
      await lab_.waitInTerminal('Sandbox shell', /packets so far: .*UDP \d+/, SCRIPT_TIMEOUT_MS);
      await shell(['ip link show veth1'], { background: true });
      await lab_.waitInTerminal('Sandbox shell', /prog\/xdp id \d+ name count_packets/, 30_000);
      await lab_.shot('learner-path-11a-xdp');
      await lab_.checkPasses();
      await killJob();
      await lab_.waitInTerminal('Sandbox shell', /Detached from veth1/, 30_000);
      // Drop instead of pass: two lines just before the final return XDP_PASS;.
      const typed = typeAtTodos(
        file(view, 'xdp_count.c').starter,
        [{ text: await todoSnippet(view, 'xdp_count.c') }],
        '//',
      );
      if ('error' in typed) throw new Error(typed.error);
      const finalReturn = typed.text.split('\n').lastIndexOf('    return XDP_PASS;') + 1;
      await lab_.goToLine(finalReturn); // at column 1
      await lab_.page.keyboard.insertText('    if (key == 17)\n        return XDP_DROP;\n');
      await expect.poll(() => lab_.editorText()).toContain('return XDP_DROP;');
      const counting = /Counting the packets that arrive on veth1/g;
      const runs = await lab_.countInTerminal('Sandbox shell', counting);
      await shell(['python3 xdp_count.py &'], { occurrence: 1, background: true });
      await lab_.waitForMore('Sandbox shell', counting, runs, SCRIPT_TIMEOUT_MS);
      await shell(['tcpdump -i veth1 -n -c 3 udp'], { background: true });
      await lab_.waitInTerminal('Sandbox shell', /listening on veth1/, 60_000);
      await lab_.page.waitForTimeout(6000);
      await lab_.shot('learner-path-11b-dropped');
      await lab_.pressInShell('Control+c');
      await lab_.waitInTerminal('Sandbox shell', /\b0 packets captured/, 30_000);
      // Remove the two lines again, and stop the script.
      await lab_.goToLine(finalReturn); // at column 1
      await lab_.page.keyboard.press('Shift+ArrowDown');
      await lab_.page.keyboard.press('Shift+ArrowDown');
      await lab_.page.keyboard.press('Delete');
      await expect.poll(() => lab_.editorText()).not.toContain('XDP_DROP');
      await killJob();
      await lab_.shot('learner-path-11');
    },
  );

  walk(
    '12. Security: the guard allows, then refuses secret files, Check, and they open again',
    async () => {
      const view = await open('12-');
      // Lesson 10's map (opens) belongs to lesson 10's page, not to this one.
      await lab_.page.waitForTimeout(2000);
      expect(await lab_.textOf(lab_.page.locator('#maps-body'))).not.toMatch(/opens/);
      await lab_.run(/Attached to lsm/i);
      await shell([
        'echo "the password is swordfish" > notes.txt',
        'mv notes.txt secret.txt',
        'cat secret.txt',
      ]);
      await lab_.waitInTerminal(
        'Sandbox shell',
        /cat secret\.txt\s+the password is swordfish/,
        30_000,
      );
      await lab_.waitInTerminal('Trace output', /secret\.txt: verdict 0/, 30_000);
      await typeTodoSnippet(view, 'guard.c');
      await lab_.run(/Attached to lsm/i);
      await shell(['cat secret.txt', 'sudo cat secret.txt']);
      await lab_.waitInTerminal(
        'Sandbox shell',
        /cat secret\.txt\s+cat: secret\.txt: Operation not permitted/,
        30_000,
      );
      await lab_.waitInTerminal('Trace output', /secret\.txt: verdict -1/, 30_000);
      await lab_.shot('learner-path-12a-refused');
      await lab_.checkPasses();
      await lab_.waitInTerminal('Trace output', /stopped for the checks/, 30_000);
      await shell(['cat secret.txt']);
      await lab_.waitInTerminal(
        'Sandbox shell',
        /Operation not permitted[\s\S]*# cat secret\.txt\s+the password is swordfish/,
        30_000,
      );
      await lab_.shot('learner-path-12');
    },
  );

  walk('13. bpftrace: the hello world one-liner, then opensnoop, Check, kill them', async () => {
    await open('13-');
    await lab_.openTab('hello_world.bt');
    const hello = `bpftrace -e 'kprobe:__x64_sys_clone { printf("Hello World!!\\n"); }' &`;
    const opensnoop =
      'bpftrace -e \'tracepoint:syscalls:sys_enter_openat { printf("%s %s\\n", comm, str(args.filename)); }\' &';
    // Each runs in the background; `date` again until its first line shows it attached.
    async function oneLinerPrints(command: string, line: RegExp): Promise<void> {
      await shell([command], { background: true });
      await expect
        .poll(
          async () => {
            await shell(['date'], { background: true });
            return lab_.terminalText('Sandbox shell');
          },
          { timeout: SCRIPT_TIMEOUT_MS, interval: 5000 },
        )
        .toMatch(line);
    }
    // The line bpftrace prints, not the command's echo (whose message ends in a backslash-n).
    await oneLinerPrints(hello, /Hello World!![ \t]*$/m);
    await lab_.shot('learner-path-13a-hello-one-liner');
    await killJob();
    await oneLinerPrints(opensnoop, /^date \/etc\/ld\.so\.cache/m);
    await lab_.checkPasses();
    await killJob();
    await lab_.shot('learner-path-13');
  });

  it('the course lists all thirteen lessons as done', async () => {
    await lab_.page.goto(`${lab.url}/`);
    const items = lab_.page.getByRole('list', { name: 'Lessons' }).getByRole('listitem');
    await expect.poll(() => items.count()).toBe(13);
    for (let i = 0; i < 13; i++) expect(await lab_.textOf(items.nth(i))).toMatch(/done/i);
    await lab_.shot('learner-path-course-done');
  });
});

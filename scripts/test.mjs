// What `npm test` runs: set-up, lint, typechecks, vitest, `lessons check` (real sandbox), then
// a check that no qemu sandbox of this run outlived it. Prints a summary per suite and, as the
// very last line, `N passed, N failed` (vitest tests, one per lesson, plus one each for lint,
// the two typechecks and the orphan check). Exits 0 only when nothing failed. Extra arguments
// go to vitest: `npm test -- runner/protocol`.
//
// Plain Node ESM with built-ins only, like setup.mjs.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { npmBin, ROOT, runInherit, setup } from './setup.mjs';

/** qemu is started with `-name ebpf-lab-sandbox,...`; any argv entry with this prefix marks one. */
const SANDBOX_MARK = 'ebpf-lab-sandbox';
/**
 * Set in this process's environment, so every process this run starts inherits it: the orphan
 * check kills only sandboxes of this run, never those of another `npm test` on the machine.
 */
const RUN_VARIABLE = 'EBPF_LAB_TEST_RUN';
const RUN_ID = `${process.pid}-${Date.now()}`;
const VITEST_JSON = 'test-results/vitest.json';

const results = [];

function record(name, passed, failed, detail) {
  results.push({ name, passed, failed, detail });
}

function heading(text) {
  console.log(`\n[test] ${text}`);
}

function describeExit({ code, signal }) {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

/** A command that counts as one test: passed when it exits 0. */
async function commandSuite(name, cmd, args) {
  heading(`${name}: ${[path.relative(ROOT, cmd), ...args].join(' ')}`);
  try {
    const exit = await runInherit(cmd, args);
    if (exit.code === 0) record(name, 1, 0, 'passed');
    else record(name, 0, 1, `failed (${describeExit(exit)})`);
  } catch (err) {
    record(name, 0, 1, `failed (${err.message})`);
  }
}

async function vitestSuite(extraArgs) {
  const args = [
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${VITEST_JSON}`,
    ...extraArgs,
  ];
  heading(`vitest: node_modules/.bin/vitest ${args.join(' ')}`);
  const jsonPath = path.join(ROOT, VITEST_JSON);
  rmSync(jsonPath, { force: true });
  let exit;
  try {
    exit = await runInherit(npmBin('vitest'), args);
  } catch (err) {
    record('vitest', 0, 1, `crashed (${err.message}); counted as 1 failed`);
    return;
  }
  let report;
  try {
    report = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (err) {
    const why = err.code === 'ENOENT' ? `${VITEST_JSON} was not written` : err.message;
    record('vitest', 0, 1, `crashed (${describeExit(exit)}, ${why}); counted as 1 failed`);
    return;
  }
  const passed = Number(report.numPassedTests) || 0;
  let failed = Number(report.numFailedTests) || 0;
  const notes = [];
  // A test file that fails to load fails its suite without failing any test: count each one.
  const loadFailures = (report.testResults ?? []).filter(
    (file) =>
      file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  );
  if (loadFailures.length > 0) {
    failed += loadFailures.length;
    const files = loadFailures.map((file) => path.relative(ROOT, file.name)).join(', ');
    notes.push(`${loadFailures.length} file(s) failed outside any test: ${files}`);
  }
  // Anything else that makes vitest fail (no test files, unhandled errors) counts as one.
  if (exit.code !== 0 && failed === 0) {
    failed = 1;
    notes.push(`vitest failed (${describeExit(exit)}) with no failed test; counted as 1 failed`);
  }
  const detail = [`${passed} passed, ${failed} failed`, ...notes].join('; ');
  record('vitest', passed, failed, detail);
}

/**
 * `ebpf-lab lessons check`: every lesson validated and its solution's checks run in a real
 * sandbox; each lesson counts as one test. Its output streams through and is also parsed for
 * the `N of M lessons passed` line.
 */
async function lessonsSuite() {
  heading('lessons: node bin/ebpf-lab.js lessons check');
  const child = spawn(process.execPath, ['bin/ebpf-lab.js', 'lessons', 'check'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    output += chunk;
  });
  const code = await new Promise((resolve) => child.on('close', resolve));
  const match = /^(\d+) of (\d+) lessons passed$/m.exec(output);
  if (!match) {
    record('lessons', 0, 1, `failed (exit code ${code}, no summary line); counted as 1 failed`);
    return;
  }
  const passed = Number(match[1]);
  const failed = Number(match[2]) - passed + (code !== 0 && passed === Number(match[2]) ? 1 : 0);
  record('lessons', passed, failed, `${passed} passed, ${failed} failed`);
}

/** pid → argv and environment variables of every process we can read, from /proc/<pid>/. */
function listProcesses() {
  const procs = new Map();
  const nulSeparated = (file) => {
    const parts = readFileSync(file, 'utf8').split('\0');
    if (parts.at(-1) === '') parts.pop();
    return parts;
  };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      procs.set(Number(entry), {
        argv: nulSeparated(`/proc/${entry}/cmdline`),
        environ: nulSeparated(`/proc/${entry}/environ`),
      });
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return procs;
}

/** This process and its ancestors: their argv may hold the marker (e.g. a vitest filter). */
function selfAndAncestors() {
  const pids = new Set();
  let pid = process.pid;
  while (pid > 1 && !pids.has(pid)) {
    pids.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Field 4 (ppid) follows the parenthesised command name, which may contain spaces.
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return pids;
}

function orphanCheck() {
  heading(`orphan check: no process of this run with an argument starting with '${SANDBOX_MARK}'`);
  const skip = selfAndAncestors();
  const sandboxes = [...listProcesses()].filter(
    ([pid, { argv }]) => !skip.has(pid) && argv.some((arg) => arg.startsWith(SANDBOX_MARK)),
  );
  const ours = `${RUN_VARIABLE}=${RUN_ID}`;
  const orphans = sandboxes.filter(([, { environ }]) => environ.includes(ours));
  for (const [pid] of sandboxes.filter(([, { environ }]) => !environ.includes(ours))) {
    console.log(`  pid ${pid}: a sandbox of another run (not started by this one), left alone`);
  }
  if (orphans.length === 0) {
    console.log('none found');
    record('orphan check', 1, 0, 'passed (no sandbox process left)');
    return;
  }
  console.log(`${orphans.length} sandbox process(es) survived the run; killing them (SIGKILL):`);
  for (const [pid, { argv }] of orphans) {
    let outcome = 'killed';
    try {
      process.kill(pid, 'SIGKILL');
    } catch (err) {
      outcome =
        err.code === 'ESRCH' ? 'already gone' : `could not kill: ${err.code ?? err.message}`;
    }
    console.log(`  pid ${pid} (${outcome}): ${argv.join(' ')}`);
  }
  const pids = orphans.map(([pid]) => pid).join(', ');
  record('orphan check', 0, 1, `failed (sandbox process(es) left running: pid ${pids})`);
}

/** Test files out of the count until they pass (test/pending-tests.json), named in the summary. */
function pendingNote() {
  const { files } = JSON.parse(readFileSync(path.join(ROOT, 'test', 'pending-tests.json'), 'utf8'));
  const entries = Object.entries(files);
  if (entries.length === 0 || process.env.EBPF_LAB_PENDING === '1') return;
  console.log(`\n[test] pending: ${entries.length} test file(s) not run, not yet seen passing:`);
  for (const [file, why] of entries) console.log(`  ${file}: ${why}`);
}

function summarize() {
  pendingNote();
  console.log('\n[test] summary');
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) console.log(`  ${r.name.padEnd(width)}  ${r.detail}`);
  const passed = results.reduce((sum, r) => sum + r.passed, 0);
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

async function main() {
  process.env[RUN_VARIABLE] = RUN_ID;
  try {
    await setup({ forTests: true });
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    record('setup', 0, 1, 'failed; nothing else was run');
    summarize();
    return;
  }
  await commandSuite('lint', npmBin('biome'), ['check', '.']);
  await commandSuite('typecheck', npmBin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  await commandSuite('typecheck (client)', npmBin('tsc'), [
    '-p',
    'app/client/tsconfig.json',
    '--noEmit',
  ]);
  await vitestSuite(process.argv.slice(2));
  await lessonsSuite();
  orphanCheck();
  summarize();
}

await main();

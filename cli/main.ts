/**
 * The `ebpf-lab` command line. Exit codes: 0 ok; 1 the probe was rejected (compile or verifier
 * error); 2 usage; 3 sandbox or set-up failure.
 */

import { BENCH_USAGE } from './bench.js';
import { IMAGE_USAGE, imageCommand } from './image.js';
import { INSTRUCTOR_LINK_USAGE } from './instructor-link.js';
import { LESSONS_USAGE } from './lessons.js';
import { RUN_USAGE } from './run.js';
import { SERVE_USAGE } from './serve.js';
import { UsageError } from './usage.js';

const USAGE = `Usage: ebpf-lab <command> [options]

Commands:
  run FILE.c [--attach KIND:TARGET[=FN]]... [--trigger CMD] [--duration S] [--timeout S]
             [--json] [--sandbox qemu|local]
                    Compile, load and attach a probe in a sandbox and print its trace output.
  image build|status
                    Build (or inspect) the guest image the sandbox boots.
  bench [--runs N] [--soak N] [--learners N [--minutes M] [--no-templates]] [--json]
                    Measure boot, cold run, warm run, the guide's own way and the browser's
                    Run, side by side; or a long session (--soak), or capacity (--learners).
  serve [--host H] [--port P] [--lessons DIR] [--authoring] [--sandbox qemu|local]
                    Serve the web lab (default http://127.0.0.1:3000).
  lessons check [DIR] | lessons new NAME
                    Validate the lessons and run their solutions' checks; scaffold a lesson.
  instructor-link [--sign-out-everyone]
                    Print a new link that signs the instructor in (the old one stops working).

Run 'ebpf-lab <command> --help' for a command's options.`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  image: async () => imageCommand,
  run: async () => (await import('./run.js')).runCommand,
  bench: async () => (await import('./bench.js')).benchCommand,
  serve: async () => (await import('./serve.js')).serveCommand,
  lessons: async () => (await import('./lessons.js')).lessonsCommand,
  'instructor-link': async () => (await import('./instructor-link.js')).instructorLinkCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`ebpf-lab: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  if (args.includes('--help') || args.includes('-h')) {
    const usage: Record<string, string> = {
      image: IMAGE_USAGE,
      run: RUN_USAGE,
      bench: BENCH_USAGE,
      serve: SERVE_USAGE,
      lessons: LESSONS_USAGE,
      'instructor-link': INSTRUCTOR_LINK_USAGE,
    };
    process.stdout.write(`${usage[name] ?? USAGE}\n`);
    return 0;
  }
  try {
    return await (await load())(args);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`ebpf-lab ${name}: ${(error as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`ebpf-lab ${name}: ${(error as Error).message}\n`);
    const cause = (error as Error).cause;
    if (cause instanceof Error) process.stderr.write(`  cause: ${cause.message}\n`);
    return 3;
  }
}

process.exitCode = await main(process.argv.slice(2));

/**
 * The program as the kernel holds it, for the bytecode view: the verified instructions
 * (`bpftool prog dump xlated ... linum`) placed on the learner's source lines, and the JIT's
 * x86-64 machine code (objdump of the JIT image).
 *
 * bpftool reports lines of the text BCC compiled, which has BCC's own lines prepended and some
 * calls rewritten, so lines are mapped back by matching their text against the learner's.
 */
import { randomUUID } from 'node:crypto';
import type { AgentConnection } from '../agent-connection.js';
import { matchLines } from './verifier.js';

export interface BytecodeInstruction {
  index: number;
  text: string;
  /** 1-based line in the learner's source, when it can be found. */
  line?: number;
}

export interface KernelProgram {
  name: string;
  id: number;
  xlated: BytecodeInstruction[];
  jited: string[];
  /** Why a part is missing (e.g. no disassembler), or undefined. */
  note?: string;
}

// `; int hello_world(void *ctx) { [file:/virtual/main.c line_num:12 line_col:0]`
const SOURCE_INFO = /^; (.*?)\s*\[file:\S* line_num:(\d+) line_col:\d+\]$/;
// `   0: (18) r1 = 0xa202121646c72`
const XLATED_INSN = /^\s*(\d+): (.*)$/;
// `   4:\tpush   %rbp` (objdump of a raw binary)
const JITED_INSN = /^\s*([0-9a-f]+):\t(.*)$/;

interface SourceInfo {
  text: string;
  lineNum: number;
}

export function parseXlated(dump: string, source: string): BytecodeInstruction[] {
  const sourceLines = source.split(/\r?\n/).map((line) => line.trim());
  const instructions: { index: number; text: string; info: SourceInfo | undefined }[] = [];
  let info: SourceInfo | undefined;
  for (const line of dump.split('\n')) {
    const sourceInfo = SOURCE_INFO.exec(line);
    if (sourceInfo) {
      const text = (sourceInfo[1] ?? '').trim();
      info = text === '' ? undefined : { text, lineNum: Number(sourceInfo[2]) };
      continue;
    }
    const insn = XLATED_INSN.exec(line);
    if (insn) instructions.push({ index: Number(insn[1]), text: (insn[2] ?? '').trim(), info });
  }
  const offset = lineOffset(
    instructions.flatMap((i) => (i.info ? [i.info] : [])),
    sourceLines,
  );
  return instructions.map(({ index, text, info: at }) => {
    const line = at ? learnerLine(at, offset, sourceLines) : undefined;
    return line === undefined ? { index, text } : { index, text, line };
  });
}

/** How far BCC's line numbers are from the learner's: the most common shift among the lines
 * whose text appears exactly once in the learner's source. */
function lineOffset(infos: SourceInfo[], sourceLines: string[]): number | undefined {
  const votes = new Map<number, number>();
  for (const { text, lineNum } of infos) {
    const exact = sourceLines.flatMap((line, index) => (line === text ? [index] : []));
    if (exact.length !== 1) continue;
    const shift = lineNum - ((exact[0] ?? 0) + 1);
    votes.set(shift, (votes.get(shift) ?? 0) + 1);
  }
  let best: number | undefined;
  for (const [shift, count] of votes)
    if (best === undefined || count > (votes.get(best) ?? 0)) best = shift;
  return best;
}

function learnerLine(
  info: SourceInfo,
  offset: number | undefined,
  sourceLines: string[],
): number | undefined {
  const guess = offset === undefined ? undefined : info.lineNum - offset;
  const inSource = guess !== undefined && guess >= 1 && guess <= sourceLines.length;
  if (inSource && sourceLines[guess - 1] === info.text) return guess;
  // The shift is not the same everywhere (BCC's rewrites can add or join lines, e.g. around a
  // function's first line), so the line's own text decides when it is in the learner's source:
  // of the lines with exactly that text, the one nearest the guess.
  const exact = sourceLines.flatMap((line, index) => (line === info.text ? [index + 1] : []));
  if (exact.length > 0) {
    if (guess === undefined) return exact.length === 1 ? exact[0] : undefined;
    return exact.reduce((best, line) =>
      Math.abs(line - guess) < Math.abs(best - guess) ? line : best,
    );
  }
  // A line BCC rewrote (bpf_trace_printk, map calls) has text the learner never wrote.
  if (inSource && sourceLines[guess - 1] !== '') return guess;
  const candidates = matchLines(sourceLines, info.text);
  return candidates.length === 1 ? (candidates[0] ?? 0) + 1 : inSource ? guess : undefined;
}

export function parseJited(dump: string): string[] {
  return dump.split('\n').flatMap((line) => {
    const insn = JITED_INSN.exec(line);
    return insn
      ? [`${(insn[1] ?? '').padStart(4)}: ${(insn[2] ?? '').replace(/\s+/g, ' ').trim()}`]
      : [];
  });
}

/** Asks the sandbox for the current run's programs and parses them. */
export async function dumpPrograms(
  agent: AgentConnection,
  source: string,
): Promise<KernelProgram[]> {
  const id = randomUUID();
  const answer = agent.waitFor('programs', (m) => m.id === id, 60_000);
  agent.send({ type: 'dump-programs', id });
  const { programs } = await answer;
  return programs.map((p) => {
    const program: KernelProgram = {
      name: p.name,
      id: p.id,
      xlated: parseXlated(p.xlated, source),
      jited: parseJited(p.jited),
    };
    if (p.note) program.note = p.note;
    return program;
  });
}

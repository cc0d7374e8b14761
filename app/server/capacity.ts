/**
 * The lab's default sandbox capacity (slots: sandboxes at once; more learners wait in line),
 * from the machine it runs on: the fewer of what its CPUs and what its memory can hold.
 *
 * CPU: learners per host core while a Run still answers within about 10 s (p95). Measured with
 * `ebpf-lab bench --learners N` under software emulation, since BCC's headers are precompiled:
 * 16 learners on 2 cores held a p95 of 7.6 s (`--minutes 4`) and 8.5 s (`--minutes 3`), 24 did
 * not (23.7 s) (README, "Measured capacity"). With KVM the sandbox runs about 10× faster; the
 * same 8 per core is a floor, not measured: measure yours with the same bench and set
 * EBPF_LAB_MAX_SESSIONS.
 *
 * Memory: each sandbox counted at its worst, the guest's whole RAM plus qemu's own (its
 * translated-code cache under emulation), so a class of learners who fill their sandboxes does
 * not push the host into swap; a kept reserve for the host, the server and its database.
 */
import { availableParallelism, totalmem } from 'node:os';
import { LIMITS } from '../../runner/limits.js';
import { type Accel, chooseAccel } from '../../runner/sandbox/accel.js';

export const LEARNERS_PER_CORE: Readonly<Record<Accel, number>> = { tcg: 8, kvm: 8 };
/** Host memory left to everything that is not a sandbox. */
export const HOST_RESERVE_MIB = 1024;
/** qemu's own memory beyond the guest's RAM, besides the translation cache. */
const QEMU_OVERHEAD_MIB = 64;

export interface Machine {
  cores: number;
  memoryMiB: number;
  accel: Accel;
}

export interface Capacity {
  slots: number;
  /** What the machine runs out of first. */
  limitedBy: 'cpu' | 'memory';
  /** In words, for the serve banner and the README: "4 (2 cores, software emulation)". */
  reason: string;
}

/** A sandbox's memory at its worst, in MiB. */
export function sandboxMemoryMiB(accel: Accel): number {
  const cache = accel === 'tcg' ? LIMITS.tcgTranslationCacheMiB.value : 0;
  return LIMITS.sandboxMemoryMiB.value + cache + QEMU_OVERHEAD_MIB;
}

export function defaultCapacity(machine: Machine): Capacity {
  const byCpu = Math.max(1, Math.floor(machine.cores * LEARNERS_PER_CORE[machine.accel]));
  const byMemory = Math.max(
    1,
    Math.floor((machine.memoryMiB - HOST_RESERVE_MIB) / sandboxMemoryMiB(machine.accel)),
  );
  const limitedBy = byMemory < byCpu ? 'memory' : 'cpu';
  const slots = Math.min(byCpu, byMemory);
  const accel = machine.accel === 'kvm' ? 'KVM' : 'software emulation';
  const gib = (machine.memoryMiB / 1024).toFixed(0);
  const reason =
    limitedBy === 'cpu'
      ? `${machine.cores} cores under ${accel}, ${LEARNERS_PER_CORE[machine.accel]} learners per core`
      : `${gib} GiB of memory, ${sandboxMemoryMiB(machine.accel)} MiB per sandbox at most`;
  return { slots, limitedBy, reason };
}

/** This machine, as `defaultCapacity` sizes it. */
export function thisMachine(): Machine {
  return {
    cores: availableParallelism(),
    memoryMiB: Math.floor(totalmem() / (1024 * 1024)),
    accel: chooseAccel().accel,
  };
}

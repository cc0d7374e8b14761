/**
 * KVM or software emulation. A /dev/kvm can exist and still not run a guest (seen: a
 * paravirtual host module without vmx/svm hangs the boot), so KVM is chosen only when the
 * device opens read-write AND the CPU advertises vmx or svm; the driver still bounds a KVM
 * boot with a timeout and falls back to software emulation.
 */
import { accessSync, constants, readFileSync } from 'node:fs';

export type Accel = 'kvm' | 'tcg';

export interface AccelChoice {
  accel: Accel;
  reason: string;
}

export function chooseAccel(env: NodeJS.ProcessEnv = process.env): AccelChoice {
  const forced = env.EBPF_LAB_ACCEL;
  if (forced === 'tcg') return { accel: 'tcg', reason: 'EBPF_LAB_ACCEL=tcg' };
  if (forced === 'kvm') return { accel: 'kvm', reason: 'EBPF_LAB_ACCEL=kvm' };
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { accel: 'tcg', reason: '/dev/kvm is missing or not accessible' };
  }
  const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  if (!/\b(vmx|svm)\b/.test(flags)) {
    return { accel: 'tcg', reason: '/dev/kvm exists but the CPU shows no vmx/svm' };
  }
  return { accel: 'kvm', reason: '/dev/kvm usable and the CPU has hardware virtualization' };
}

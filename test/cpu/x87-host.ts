// Whether this host's x87 is the kind the transcendental tests were measured against. Bootvisor's
// transcendentals follow the AMD x87 (README's x87 section: measured on an AMD EPYC, family 26); Intel's x87
// computes its own last bits and has quirks of its own that were not measured, so the live comparisons that
// demand AMD's bits run on AMD hosts only (the recorded silicon results are checked on every host).
import * as fs from 'fs';
import * as os from 'os';

/** 'AuthenticAMD', 'GenuineIntel', ... or undefined when the host has no x87 (or no /proc/cpuinfo). */
export function x87Vendor(): string | undefined {
  if (os.arch() !== 'x64' && os.arch() !== 'ia32') return undefined;
  try {
    return /^vendor_id\s*:\s*(\S+)/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Why the live comparison with the host x87 cannot hold here, or undefined when it can. */
export function x87ReferenceMissing(): string | undefined {
  const v = x87Vendor();
  if (v === undefined) return 'the host has no x87';
  if (v !== 'AuthenticAMD') return `the host x87 is ${v}'s; the transcendentals were measured against AMD's`;
  return undefined;
}

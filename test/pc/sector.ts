// Boot sectors written inline in a test, and the machines a suite makes from them (disposed after it).
import * as fs from 'fs';

import { createMachine, type BootvisorMachine } from '../../common/machine';
import { assemble } from '../../common/nasm';
import { requireNasm, tempDir } from '../cli/harness';

/** NASM lines that make DAC entry `entry` pure red (63, 0, 0) through ports 3C8h/3C9h (AL and DX changed). */
export function dacEntryRed(entry: number): string {
  return `
    mov dx, 0x3c8
    mov al, ${entry}
    out dx, al
    inc dx
    mov al, 63
    out dx, al
    xor al, al
    out dx, al
    out dx, al`;
}

/** A suite's scratch folder, the sectors it assembles there, and its machines; call `dispose` in `after`. */
export function sectorBench(prefix: string): {
  sector(body: string): Uint8Array;
  make(image: Uint8Array): BootvisorMachine;
  dispose(): void;
} {
  const tmp = tempDir(prefix);
  const machines: BootvisorMachine[] = [];
  return {
    /** Assembles a boot sector from lines of NASM (org 0x7C00, padded and signed). */
    sector(body: string): Uint8Array {
      requireNasm();
      const f = tmp.file(`s${Math.random().toString(36).slice(2)}.asm`);
      fs.writeFileSync(f, `bits 16\norg 0x7c00\n${body}\n times 510-($-$$) db 0\n dw 0xaa55\n`);
      const a = assemble(f);
      a.remove();
      return a.image;
    },
    make(image: Uint8Array): BootvisorMachine {
      const m = createMachine({ image, backend: 'software' });
      machines.push(m);
      return m;
    },
    dispose(): void {
      for (const m of machines) m.dispose();
      tmp.remove();
    },
  };
}

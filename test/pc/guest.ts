// Small helpers for tests that build guests from lines of NASM and run them through the facade.
import * as fs from 'fs';

import type { MachineConfig } from '../../common/api';
import { createMachine, type BootvisorMachine } from '../../common/machine';
import { assemble } from '../../common/nasm';
import { requireNasm, tempDir } from '../cli/harness';

/** Boot sectors assembled from NASM lines (org 0x7C00, padded and signed), and machines disposed at the end. */
export class GuestLab {
  private readonly tmp = tempDir('bootvisor-guest-');
  private readonly machines: BootvisorMachine[] = [];

  sector(body: string): Uint8Array {
    requireNasm();
    const f = this.tmp.file(`s${Math.random().toString(36).slice(2)}.asm`);
    fs.writeFileSync(f, `bits 16\norg 0x7c00\n${body}\n times 510-($-$$) db 0\n dw 0xaa55\n`);
    const a = assemble(f);
    a.remove();
    return a.image;
  }

  machine(image: Uint8Array, config: Partial<MachineConfig> = {}): BootvisorMachine {
    const m = createMachine({ image, backend: 'software', ...config });
    this.machines.push(m);
    return m;
  }

  dispose(): void {
    for (const m of this.machines) m.dispose();
    this.machines.length = 0;
    this.tmp.remove();
  }
}

/** Resolves at the machine's next 'idle' event. */
export const nextIdle = (m: BootvisorMachine): Promise<void> =>
  new Promise((resolve) => {
    const on = (): void => {
      m.off('idle', on);
      resolve();
    };
    m.on('idle', on);
  });

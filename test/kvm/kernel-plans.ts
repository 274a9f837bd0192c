// Boot plans of the C test kernels for the nested KVM run (scripts/test-kvm.sh): the multiboot loader lives in
// TypeScript (common/multiboot-boot.ts), and kvm_machine (C++, no Node in the nested guest) boots kernels by
// replaying what that loader did to a fresh machine: the disk it was created with, every physical memory
// write, every port write, and the registers it left. Each plan is a text file, one record a line:
//   image HEX | mem ADDR HEX | zero ADDR LENGTH | port PORT SIZE VALUE | reg NAME VALUE |
//   seg NAME SELECTOR BASE LIMIT ATTRIB | table NAME BASE LIMIT
// (numbers in hex). Usage: node out/test/kvm/kernel-plans.js OUTDIR  (writes OUTDIR/NAME.plan and module files)
import * as fs from 'fs';
import * as path from 'path';

import type { Registers, SegmentRegister } from '../../common/api';
import { createMachine, type BootvisorMachine } from '../../common/machine';
import { bootMultiboot, resetSector, type MultibootModule } from '../../common/multiboot-boot';
import { parseMultibootKernel } from '../../common/multiboot';
import { buildKernel, kernelDir } from '../kernels/build';

const hex = (n: number): string => (n >>> 0).toString(16);

/** The kernels: the same sources, headers and -O levels the QEMU comparisons in test/cli use. */
const KERNELS: { name: string; sources: string[]; opt: string; entry?: string; cmdline?: string; modules?: boolean }[] =
  [
    { name: 'bare', sources: ['bare.c'], opt: '-O2', cmdline: 'hello world --verbose', modules: true },
    { name: 'irq', sources: ['irq.c', 'cpu.c', 'isr.asm'], opt: '-O2' },
    { name: 'paging', sources: ['paging.c', 'cpu.c', 'isr.asm'], opt: '-O0' },
    { name: 'mb2', sources: ['boot-info.c'], opt: '-O2', entry: 'mb2-entry.asm', cmdline: 'nested', modules: true },
  ];

function planOf(elfPath: string, name: string, cmdline: string | undefined, modules: MultibootModule[]): string {
  const lines: string[] = [`image ${Buffer.from(resetSector()).toString('hex')}`];
  const machine = createMachine({ image: resetSector(), bootDrive: 0x80, requireSignature: true });
  try {
    // The loader's calls, recorded on their way to a real machine (which answers its reads).
    const recorder = new Proxy(machine, {
      get(target, prop, receiver) {
        if (prop === 'writeMemory')
          return (address: number, data: Uint8Array, space: 'linear' | 'physical') => {
            if (data.every((b) => b === 0)) lines.push(`zero ${hex(address)} ${hex(data.length)}`);
            else lines.push(`mem ${hex(address)} ${Buffer.from(data).toString('hex')}`);
            target.writeMemory(address, data, space);
          };
        if (prop === 'portWrite')
          return (port: number, value: number, size: 1 | 2 | 4 = 1) => {
            lines.push(`port ${hex(port)} ${size} ${hex(value)}`);
            target.portWrite(port, value, size);
          };
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as BootvisorMachine;
    const kernel = parseMultibootKernel(fs.readFileSync(elfPath), name);
    bootMultiboot(recorder, kernel, { kernelName: name, cmdline, modules });
    const r: Registers = machine.getRegisters();
    for (const g of ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags', 'cr0'] as const)
      lines.push(`reg ${g} ${hex(r[g])}`);
    const segs: [string, SegmentRegister][] = [
      ['es', r.es],
      ['cs', r.cs],
      ['ss', r.ss],
      ['ds', r.ds],
      ['fs', r.fs],
      ['gs', r.gs],
    ];
    for (const [n, s] of segs)
      lines.push(`seg ${n} ${hex(s.selector)} ${hex(s.base)} ${hex(s.limit)} ${hex(s.attrib)}`);
    lines.push(`table gdtr ${hex(r.gdtr.base)} ${hex(r.gdtr.limit)}`);
    return lines.join('\n') + '\n';
  } finally {
    machine.dispose();
  }
}

function main(): void {
  const out = process.argv[2];
  if (!out) throw new Error('usage: node kernel-plans.js OUTDIR');
  fs.mkdirSync(out, { recursive: true });
  const k = kernelDir();
  try {
    const modules: MultibootModule[] = [
      { name: 'first.txt', data: Buffer.from('first module line\nsecond line\n') },
      { name: 'second.txt', data: Buffer.from('another module') },
    ];
    for (const spec of KERNELS) {
      const elf = buildKernel(k.dir, spec.name, spec.sources, spec.opt, spec.entry ? { entry: spec.entry } : {});
      const name = `${spec.name}.elf`;
      fs.writeFileSync(
        path.join(out, `${spec.name}.plan`),
        planOf(elf, name, spec.cmdline, spec.modules ? modules : []),
      );
    }
  } finally {
    k.remove();
  }
}

main();

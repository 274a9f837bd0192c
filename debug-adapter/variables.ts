// Scopes and variables: general registers with their 16/8-bit views, segment registers with the hidden
// descriptor cache, flags one by one, control/system registers decoded, GDT/IDT entries, and the page walk
// when paging is on. References live until the guest runs again (reset() on every resume).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { FpuRegisters, Machine, Registers, SegmentRegister } from '../common/api';
import { hex, parseNumber } from '../common/expression';
import { fpuChange, fpuVariables } from './fpu-view';
import { Descriptor, memoryReference, readDescriptorTable, readUint } from './memory';
import { compactNames, compactRegister, flagsLine, segmentLine } from './register-view';
import {
  CR0_BITS,
  CR4_BITS,
  describeAttributes,
  EFER_BITS,
  FLAGS,
  readRegister,
  SEGMENTS,
  systemType,
  writeRegister,
} from './registers';

type Variable = DebugProtocol.Variable;

interface Container {
  children(): Variable[];
  /** Sets a child by name; returns its new variable. */
  set?(name: string, value: string): Variable;
}

export interface RegisterAccess {
  machine: Machine;
  registers(): Registers;
  /** The guest state changed (drops the future recorded for reverse execution). */
  changed(): void;
  /** linear address of seg:offset with the segment's hidden base */
  linear(segment: SegmentRegister, offset: number): number;
  /** The data breakpoints with their values (old -> new), shown as a scope of their own when there are any. */
  watched?(): Variable[];
}

const h8 = (n: number) => `0x${hex(n, 8)}`;
const h4 = (n: number) => `0x${hex(n, 4)}`;
const h2 = (n: number) => `0x${hex(n, 2)}`;

function parseValue(text: string): number {
  const v = parseNumber(text.trim().replace(/^-/, ''));
  if (v === undefined) throw new Error(`"${text}" is not a number (write 0x1234, 1234h or 4660)`);
  return text.trim().startsWith('-') ? -v >>> 0 : v;
}

/**
 * Whether a machine's backend has x87 registers, asked once per machine: the answer is the backend's, not
 * the guest's, and reading the x87 state to learn it cost about 100 us in every scopes request of a session's
 * first hundreds of steps (the FPU scope's values are read when it is opened, as before).
 */
const fpuPresence = new WeakMap<Machine, boolean>();

function hasFpu(m: Machine): boolean {
  let has = fpuPresence.get(m);
  if (has === undefined) fpuPresence.set(m, (has = m.getFpu?.() !== undefined));
  return has;
}

function fpuOf(m: Machine): FpuRegisters {
  const fpu = m.getFpu?.();
  if (!fpu) throw new Error('this backend no longer reports the x87 registers');
  return fpu;
}

export class VariableStore {
  private readonly containers = new Map<number, Container>();
  private next = 1;

  constructor(private readonly access: RegisterAccess) {}

  reset(): void {
    this.containers.clear();
    this.next = 1;
  }

  /** The guest is about to run: what it holds now is what the next stop's changes are measured against. */
  resumed(registers: Registers | (() => Registers) = this.access.registers()): void {
    this.resumedWith = registers;
    this.reset();
  }

  /** What resumed() was given: the registers, or how to read them as they were then (decoded at the first look). */
  private resumedWith?: Registers | (() => Registers);

  /** The registers when the guest last resumed, for the compact view's change markers. */
  private get previous(): Registers | undefined {
    if (typeof this.resumedWith === 'function') this.resumedWith = this.resumedWith();
    return this.resumedWith;
  }

  private add(c: Container): number {
    const ref = this.next++;
    this.containers.set(ref, c);
    return ref;
  }

  /** The next reference to be given out (prepared-reads.ts gives back those a dropped preparation took). */
  mark(): number {
    return this.next;
  }

  /** Forgets the references given out from `mark` on, and gives them out again. */
  rollback(mark: number): void {
    for (let ref = mark; ref < this.next; ref++) this.containers.delete(ref);
    this.next = Math.min(this.next, mark);
  }

  has(ref: number): boolean {
    return this.containers.has(ref);
  }

  scopes(): DebugProtocol.Scope[] {
    const regs = this.access.registers();
    const scopes: DebugProtocol.Scope[] = [
      {
        name: 'Registers',
        presentationHint: 'registers',
        variablesReference: this.add(this.compact()),
        expensive: false,
      },
      {
        name: 'General registers',
        presentationHint: 'registers',
        variablesReference: this.add(this.general()),
        expensive: false,
      },
      { name: 'Segment registers', variablesReference: this.add(this.segments()), expensive: false },
      { name: 'Flags', variablesReference: this.add(this.flags()), expensive: false },
      { name: 'Control and system registers', variablesReference: this.add(this.system()), expensive: false },
      { name: 'GDT', variablesReference: this.add(this.gdt()), expensive: true },
      { name: 'IDT', variablesReference: this.add(this.idt()), expensive: true },
    ];
    if (this.access.watched?.().length) {
      scopes.splice(2, 0, {
        name: 'Data breakpoints',
        variablesReference: this.add({ children: () => this.access.watched?.() ?? [] }),
        expensive: false,
      });
    }
    const m = this.access.machine;
    if (hasFpu(m))
      scopes.push({
        name: 'FPU',
        variablesReference: this.add({
          children: () => fpuVariables(fpuOf(m)),
          set: (name, value) => {
            if (!m.setFpu) throw new Error('this backend cannot change the x87 registers');
            m.setFpu(fpuChange(fpuOf(m), name, value));
            this.access.changed();
            return fpuVariables(fpuOf(m)).find((v) => v.name === name.toUpperCase())!;
          },
        }),
        expensive: false,
      });
    if (regs.cr0 & 0x80000000)
      scopes.push({ name: 'Page walk', variablesReference: this.add(this.pageWalk()), expensive: true });
    return scopes;
  }

  /** A scope of its own (an outer frame's registers): `children` when opened; an edit gets `refuse`'s reason. */
  listScope(name: string, children: () => Variable[], refuse: (name: string) => string): DebugProtocol.Scope {
    const ref = this.add({
      children,
      set: (n) => {
        throw new Error(refuse(n));
      },
    });
    return { name, presentationHint: 'registers', variablesReference: ref, expensive: false };
  }

  variables(ref: number): Variable[] {
    const c = this.containers.get(ref);
    if (!c) throw new Error(`variablesReference ${ref} is unknown (stale after the guest ran, or never given out)`);
    return c.children();
  }

  setVariable(ref: number, name: string, value: string): Variable {
    const c = this.containers.get(ref);
    if (!c) throw new Error(`variablesReference ${ref} is unknown (stale after the guest ran, or never given out)`);
    if (!c.set) throw new Error(`"${name}" cannot be changed here`);
    return c.set(name, value);
  }

  /** A register (any view) set from the user's text. */
  private setRegister(name: string, value: string): void {
    const regs = this.access.registers();
    const key = name.toLowerCase();
    if (readRegister(regs, key) === undefined) throw new Error(`"${name}" is not a register`);
    this.access.machine.setRegisters(writeRegister(regs, key, parseValue(value)));
    this.access.changed();
  }

  /** Bochs's `r`/`sreg` in one scope: the registers in the code's size, the segments on one line, the flags. */
  private compact(): Container {
    // One read of the registers for the whole scope (each register read them again: 12 reads a stop).
    const variable = (name: string, regs = this.access.registers()): Variable => {
      const segment = name.includes('sp') || name.includes('bp') ? regs.ss : name.includes('ip') ? regs.cs : regs.ds;
      return compactRegister(
        regs,
        this.previous,
        name,
        memoryReference(this.access.linear(segment, readRegister(regs, name)!)),
      );
    };
    return {
      children: () => {
        const regs = this.access.registers();
        return [
          ...compactNames(regs).map((name) => variable(name, regs)),
          segmentLine(regs, this.previous),
          flagsLine(regs, this.previous),
        ];
      },
      set: (n, val) => this.setAndRead(n, val, (name) => variable(name)),
    };
  }

  private general(): Container {
    const views: Record<string, string[]> = {
      eax: ['ax', 'ah', 'al'],
      ebx: ['bx', 'bh', 'bl'],
      ecx: ['cx', 'ch', 'cl'],
      edx: ['dx', 'dh', 'dl'],
      esi: ['si'],
      edi: ['di'],
      ebp: ['bp'],
      esp: ['sp'],
      eip: ['ip'],
    };
    const variable = (name: string): Variable => {
      const regs = this.access.registers();
      const v = readRegister(regs, name)!;
      const width = name.startsWith('e') ? 8 : name.length === 2 && /[lh]$/.test(name) && name !== 'ip' ? 2 : 4;
      const segment = name.includes('sp') || name.includes('bp') ? regs.ss : name.includes('ip') ? regs.cs : regs.ds;
      const pointer = name.endsWith('l') || name.endsWith('h') ? undefined : this.access.linear(segment, v);
      const children = views[name];
      return {
        name,
        value: `0x${hex(v, width)}`,
        type: width === 8 ? 'dword' : width === 4 ? 'word' : 'byte',
        variablesReference: children
          ? this.add({ children: () => children.map(variable), set: (n, val) => this.setAndRead(n, val, variable) })
          : 0,
        memoryReference: pointer !== undefined ? memoryReference(pointer) : undefined,
      };
    };
    return {
      children: () => Object.keys(views).map(variable),
      set: (n, val) => this.setAndRead(n, val, variable),
    };
  }

  private setAndRead(name: string, value: string, variable: (n: string) => Variable): Variable {
    this.setRegister(name, value);
    return variable(name.toLowerCase());
  }

  private segments(): Container {
    const variable = (name: string): Variable => {
      const s = this.access.registers()[name as (typeof SEGMENTS)[number]];
      return {
        name,
        value: `${h4(s.selector)} (base ${h8(s.base)}, limit ${h8(s.limit)})`,
        variablesReference: this.add({ children: () => segmentChildren(s) }),
        memoryReference: memoryReference(s.base),
      };
    };
    return { children: () => SEGMENTS.map(variable), set: (n, val) => this.setAndRead(n, val, variable) };
  }

  private flags(): Container {
    const variable = (name: string): Variable => {
      const regs = this.access.registers();
      if (name === 'eflags') {
        const set = FLAGS.filter(([, bit]) => regs.eflags & (1 << bit)).map(([n]) => n);
        return { name, value: `${h8(regs.eflags)} [${set.join(' ')}]`, variablesReference: 0 };
      }
      if (name === 'IOPL') return { name, value: String((regs.eflags >> 12) & 3), variablesReference: 0 };
      const flag = FLAGS.find(([n]) => n === name)!;
      return { name, value: String((regs.eflags >>> flag[1]) & 1), type: flag[2], variablesReference: 0 };
    };
    return {
      children: () =>
        ['eflags', ...FLAGS.slice(0, 9).map(([n]) => n), 'IOPL', ...FLAGS.slice(9).map(([n]) => n)].map(variable),
      set: (name, value) => {
        if (name === 'IOPL') {
          const regs = this.access.registers();
          const v = parseValue(value);
          if (v > 3) throw new Error('IOPL is 0 to 3');
          this.access.machine.setRegisters({ eflags: ((regs.eflags & ~0x3000) | (v << 12)) >>> 0 });
          this.access.changed();
        } else this.setRegister(name, value);
        return variable(name);
      },
    };
  }

  private system(): Container {
    const bits = (value: number, table: [string, number][]) =>
      table
        .filter(([, b]) => (value >>> b) & 1)
        .map(([n]) => n)
        .join(' ') || 'none';
    const bitChildren = (name: 'cr0' | 'cr4' | 'efer', table: [string, number][]) =>
      this.add({
        children: () =>
          table.map(([n, b]) => ({
            name: n,
            value: String((this.access.registers()[name] >>> b) & 1),
            variablesReference: 0,
          })),
      });
    const table = (name: string, t: { base: number; limit: number }): Variable => ({
      name,
      value: `base ${h8(t.base)}, limit ${h4(t.limit)}`,
      variablesReference: 0,
      memoryReference: memoryReference(t.base),
    });
    const variable = (name: string): Variable => {
      const r = this.access.registers();
      switch (name) {
        case 'cr0':
          return {
            name,
            value: `${h8(r.cr0)} [${bits(r.cr0, CR0_BITS)}]`,
            variablesReference: bitChildren('cr0', CR0_BITS),
          };
        case 'cr2':
          return {
            name,
            value: `${h8(r.cr2)} (last page-fault address)`,
            variablesReference: 0,
            memoryReference: memoryReference(r.cr2),
          };
        case 'cr3':
          return { name, value: `${h8(r.cr3)} (page directory at ${h8(r.cr3 & 0xfffff000)})`, variablesReference: 0 };
        case 'cr4':
          return {
            name,
            value: `${h8(r.cr4)} [${bits(r.cr4, CR4_BITS)}]`,
            variablesReference: bitChildren('cr4', CR4_BITS),
          };
        case 'efer':
          return {
            name,
            value: `${h8(r.efer)} [${bits(r.efer, EFER_BITS)}]`,
            variablesReference: bitChildren('efer', EFER_BITS),
          };
        case 'gdtr':
          return table(name, r.gdtr);
        case 'idtr':
          return table(name, r.idtr);
        case 'ldtr':
          return {
            name,
            value: `${h4(r.ldtr.selector)} (base ${h8(r.ldtr.base)}, limit ${h8(r.ldtr.limit)})`,
            variablesReference: this.add({ children: () => segmentChildren(r.ldtr, true) }),
          };
        case 'tr':
          return {
            name,
            value: `${h4(r.tr.selector)} (base ${h8(r.tr.base)}, limit ${h8(r.tr.limit)})`,
            variablesReference: this.add({ children: () => segmentChildren(r.tr, true) }),
          };
        default: {
          const i = ['dr0', 'dr1', 'dr2', 'dr3', 'dr6', 'dr7'].indexOf(name);
          return { name, value: h8(r.dr[i] ?? 0), variablesReference: 0 };
        }
      }
    };
    return {
      children: () =>
        [
          'cr0',
          'cr2',
          'cr3',
          'cr4',
          'efer',
          'gdtr',
          'idtr',
          'ldtr',
          'tr',
          'dr0',
          'dr1',
          'dr2',
          'dr3',
          'dr6',
          'dr7',
        ].map(variable),
      set: (name, value) => {
        if (!['cr0', 'cr2', 'cr3', 'cr4', 'efer'].includes(name))
          throw new Error(`${name} cannot be set from the debugger; load it in the guest`);
        this.setRegister(name, value);
        return variable(name);
      },
    };
  }

  private gdt(): Container {
    return {
      children: () => {
        const r = this.access.registers();
        if (r.gdtr.limit < 7)
          return [
            {
              name: 'GDT',
              value: `empty (GDTR base ${h8(r.gdtr.base)}, limit ${h4(r.gdtr.limit)})`,
              variablesReference: 0,
            },
          ];
        let entries: Descriptor[];
        try {
          entries = readDescriptorTable(this.access.machine, r.gdtr.base, r.gdtr.limit, 64);
        } catch (e) {
          return [
            {
              name: 'GDT',
              value: `unreadable at ${h8(r.gdtr.base)}: ${e instanceof Error ? e.message : e}`,
              variablesReference: 0,
            },
          ];
        }
        return entries.map((d) => ({
          name: `${h4(d.selector)}`,
          value:
            d.index === 0
              ? 'null descriptor'
              : (d.attrib & 0x80) === 0 && d.raw[0] === 0 && d.raw[1] === 0
                ? 'empty'
                : `base ${h8(d.base)}, limit ${h8(d.limit)}: ${describeAttributes(d.attrib, true)}`,
          variablesReference: 0,
          memoryReference: memoryReference(r.gdtr.base + d.index * 8),
        }));
      },
    };
  }

  private idt(): Container {
    return {
      children: () => {
        const r = this.access.registers();
        const m = this.access.machine;
        try {
          if ((r.cr0 & 1) === 0) {
            // Real mode: the IVT, four bytes per vector (offset, segment).
            const count = Math.min(256, Math.floor((r.idtr.limit + 1) / 4));
            const out: Variable[] = [];
            for (let v = 0; v < Math.min(count, 64); v++) {
              const off = readUint(m, r.idtr.base + v * 4, 2);
              const seg = readUint(m, r.idtr.base + v * 4 + 2, 2);
              out.push({
                name: `int ${h2(v)}`,
                value: `${hex(seg, 4)}:${hex(off, 4)}`,
                variablesReference: 0,
                memoryReference: memoryReference(seg * 16 + off),
              });
            }
            return out;
          }
          const count = Math.min(256, Math.floor((r.idtr.limit + 1) / 8));
          if (count === 0)
            return [
              {
                name: 'IDT',
                value: `empty (limit ${h4(r.idtr.limit)}): any interrupt or exception triple-faults`,
                variablesReference: 0,
              },
            ];
          const out: Variable[] = [];
          for (let v = 0; v < count; v++) {
            const lo = readUint(m, r.idtr.base + v * 8, 4);
            const hi = readUint(m, r.idtr.base + v * 8 + 4, 4);
            const type = (hi >>> 8) & 0xf;
            const present = (hi >>> 15) & 1;
            const selector = lo >>> 16;
            const offset = ((hi & 0xffff0000) | (lo & 0xffff)) >>> 0;
            out.push({
              name: `int ${h2(v)}`,
              value: present
                ? `${systemType(type)} -> ${hex(selector, 4)}:${hex(offset, 8)}, DPL ${(hi >>> 13) & 3}`
                : 'not present',
              variablesReference: 0,
            });
          }
          return out;
        } catch (e) {
          return [
            {
              name: 'IDT',
              value: `unreadable at ${h8(r.idtr.base)}: ${e instanceof Error ? e.message : e}`,
              variablesReference: 0,
            },
          ];
        }
      },
    };
  }

  private pageWalk(): Container {
    return {
      children: () => {
        const r = this.access.registers();
        const places: [string, number][] = [
          ['CS:EIP', this.access.linear(r.cs, r.eip)],
          ['SS:ESP', this.access.linear(r.ss, r.esp)],
        ];
        return places.map(([name, linear]) => this.walkVariable(`${name} ${h8(linear)}`, linear));
      },
    };
  }

  walkVariable(name: string, linear: number): Variable {
    const walk = this.access.machine.translate(linear);
    return {
      name,
      value: walk.physical !== undefined ? `physical ${h8(walk.physical)}` : 'does not translate',
      variablesReference: this.add({
        children: () => walk.steps.map((s, i) => ({ name: `${i + 1}`, value: s, variablesReference: 0 })),
      }),
    };
  }
}

function segmentChildren(s: SegmentRegister, system = false): Variable[] {
  return [
    {
      name: 'selector',
      value: `${h4(s.selector)} (index ${s.selector >> 3}, ${s.selector & 4 ? 'LDT' : 'GDT'}, RPL ${s.selector & 3})`,
      variablesReference: 0,
    },
    { name: 'base', value: h8(s.base), variablesReference: 0, memoryReference: memoryReference(s.base) },
    { name: 'limit', value: h8(s.limit), variablesReference: 0 },
    { name: 'attributes', value: `${h4(s.attrib)}: ${describeAttributes(s.attrib, system)}`, variablesReference: 0 },
  ];
}

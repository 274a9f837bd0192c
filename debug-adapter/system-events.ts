// The "System events..." exception filter: one entry in VS Code's Breakpoints view whose condition says what
// to stop on, in words an OS developer would use: `cr0, cr3, lgdt, mode, task, int 0x10 ah=0x0e, irq 1,
// port 0x60-0x64`. Empty: the events that change the machine's state (CR0/CR3/CR4, LGDT, LIDT, mode and task
// switches). Each stop comes just after the event, with what happened in words (old -> new CR0, the new GDT).
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { SystemBreaks } from '../common/api';

export const SYSTEM_EVENTS_FILTER = 'system-events';

const DEFAULT_CONDITION = 'cr0, cr3, cr4, lgdt, lidt, mode, task';

export function systemEventsFilter(): DebugProtocol.ExceptionBreakpointsFilter {
  return {
    filter: SYSTEM_EVENTS_FILTER,
    label: 'System events...',
    description:
      'Stop just after a CR write, LGDT/LIDT, a mode or task switch, an INT n, an IRQ or port I/O. Edit the condition to choose which.',
    default: false,
    supportsCondition: true,
    conditionDescription: `e.g. "cr0, lgdt, mode, int 0x10 ah=0x0e, irq 1, port 0x60-0x64"; empty: ${DEFAULT_CONDITION}`,
  };
}

function number(word: string, what: string, max: number): number {
  const m = /^(?:0x([0-9a-f]+)|([0-9a-f]+)h|(\d+))$/i.exec(word);
  const n = m ? (m[1] ? parseInt(m[1], 16) : m[2] ? parseInt(m[2], 16) : Number(m[3])) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new Error(`"${word}" is not ${what} (0 to 0x${max.toString(16).toUpperCase()})`);
  return n;
}

/** The condition as SystemBreaks; throws naming the part it does not understand. */
export function parseSystemEvents(condition: string | undefined): SystemBreaks {
  const text = (condition ?? '').trim() || DEFAULT_CONDITION;
  const out: Required<SystemBreaks> = {
    controlRegisters: [],
    gdt: false,
    idt: false,
    modeSwitch: false,
    taskSwitch: false,
    interrupts: [],
    irqLines: [],
    ports: [],
  };
  for (const item of text
    .split(/[,;]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)) {
    const [word, ...rest] = item.split(/\s+/);
    const args = rest.join(' ');
    switch (word) {
      case 'cr0':
      case 'cr3':
      case 'cr4':
        if (!out.controlRegisters.includes(Number(word[2]) as 0 | 3 | 4))
          out.controlRegisters.push(Number(word[2]) as 0 | 3 | 4);
        break;
      case 'cr':
        out.controlRegisters = [0, 3, 4];
        break;
      case 'lgdt':
      case 'gdt':
        out.gdt = true;
        break;
      case 'lidt':
      case 'idt':
        out.idt = true;
        break;
      case 'mode':
        out.modeSwitch = true;
        break;
      case 'task':
        out.taskSwitch = true;
        break;
      case 'int': {
        // "int", "int 0x10", "int 0x10 ah=0x0e", "int 21h ah=4ch"
        const m = /^(\S+)?(?:\s+ah\s*=\s*(\S+))?$/.exec(args);
        if (!m) throw new Error(`"${item}": write int, int 0x10 or int 0x10 ah=0x0e`);
        out.interrupts.push({
          vector: m[1] ? number(m[1], 'an interrupt vector', 0xff) : undefined,
          ah: m[2] ? number(m[2], 'an AH value', 0xff) : undefined,
        });
        break;
      }
      case 'irq': {
        const lines = args ? args.split(/\s+/).map((w) => number(w, 'an IRQ line', 15)) : [...Array(16).keys()];
        for (const l of lines) if (!out.irqLines.includes(l)) out.irqLines.push(l);
        break;
      }
      case 'port':
      case 'ports': {
        const m = /^(\S+?)(?:\s*-\s*(\S+))?$/.exec(args);
        if (!m) throw new Error(`"${item}": write port 0x60 or port 0x60-0x64`);
        const first = number(m[1], 'a port', 0xffff);
        const last = m[2] ? number(m[2], 'a port', 0xffff) : first;
        if (last < first) throw new Error(`"${item}": the range ends before it starts`);
        out.ports.push({ first, last });
        break;
      }
      default:
        throw new Error(
          `"${word}" is not a system event: use cr0 cr3 cr4 lgdt lidt mode task, int [vector [ah=N]], irq [lines], port first[-last]`,
        );
    }
  }
  return out;
}

/** What the filter stops on, for the Breakpoints view's message. */
export function describeSystemBreaks(b: SystemBreaks): string {
  const parts: string[] = [];
  for (const cr of b.controlRegisters ?? []) parts.push(`CR${cr} writes`);
  if (b.gdt) parts.push('LGDT');
  if (b.idt) parts.push('LIDT');
  if (b.modeSwitch) parts.push('mode switches');
  if (b.taskSwitch) parts.push('task switches');
  const hex = (n: number) => `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
  for (const i of b.interrupts ?? [])
    parts.push(
      i.vector === undefined ? 'every INT n' : `INT ${hex(i.vector)}${i.ah !== undefined ? ` AH=${hex(i.ah)}` : ''}`,
    );
  if (b.irqLines?.length)
    parts.push(b.irqLines.length === 16 ? 'every IRQ' : `IRQ ${[...b.irqLines].sort((x, y) => x - y).join(', ')}`);
  for (const p of b.ports ?? [])
    parts.push(p.first === p.last ? `port ${hex(p.first)}` : `ports ${hex(p.first)}-${hex(p.last)}`);
  return `Stops on ${parts.join(', ')}`;
}

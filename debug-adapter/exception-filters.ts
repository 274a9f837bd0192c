// The exception filters in VS Code's Breakpoints view: the triple fault and the hang (both on: they end the
// guest, so stopping there is the only chance to look), and ONE entry for the CPU's exception vectors whose
// condition picks them (`#GP, #PF, 6`; empty means all), so twenty checkboxes do not push the user's own
// breakpoints out of sight. The per-vector ids of earlier versions (`vector-13`) are still understood.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { catchableVectors, ExceptionSettings, vectorName } from './exceptions';
import { describeSystemBreaks, parseSystemEvents, SYSTEM_EVENTS_FILTER, systemEventsFilter } from './system-events';

export const TRIPLE_FAULT_FILTER = 'triple-fault';
export const HANG_FILTER = 'hang';
export const CPU_EXCEPTIONS_FILTER = 'cpu-exceptions';

export function exceptionFilters(): DebugProtocol.ExceptionBreakpointsFilter[] {
  const known = catchableVectors()
    .map(([v, mnemonic]) => `${mnemonic} (${v})`)
    .join(', ');
  return [
    {
      filter: TRIPLE_FAULT_FILTER,
      label: 'Triple fault',
      description: 'Stop when the CPU shuts down (a fault while delivering a double fault).',
      default: true,
    },
    {
      filter: HANG_FILTER,
      label: 'Hang (HLT with interrupts off)',
      description: 'Stop when the guest halts with interrupts disabled: nothing can ever wake it.',
      default: true,
    },
    {
      filter: CPU_EXCEPTIONS_FILTER,
      label: 'CPU exceptions...',
      description:
        'Stop before the CPU delivers an exception, even one the guest handles. Edit the condition to choose which.',
      default: false,
      supportsCondition: true,
      conditionDescription: `Vectors by mnemonic or number, e.g. "#GP, #PF, 6"; empty: all of ${known}`,
    },
    systemEventsFilter(),
  ];
}

/** A vector condition ("#GP, #pf 6 0x0D") as vectors; throws naming what it does not know. */
export function parseVectorCondition(condition: string | undefined): number[] {
  const words = (condition ?? '').split(/[\s,;]+/).filter(Boolean);
  const vectors = catchableVectors();
  if (words.length === 0) return vectors.map(([v]) => v);
  const out = new Set<number>();
  for (const w of words) {
    const byName = vectors.find(
      ([, mnemonic, name]) =>
        mnemonic.toLowerCase() === w.toLowerCase() ||
        mnemonic.slice(1).toLowerCase() === w.toLowerCase() ||
        name.toLowerCase() === w.toLowerCase(),
    );
    const n = /^(0x[0-9a-f]+|\d+)$/i.test(w) ? Number(w) : NaN;
    if (byName) out.add(byName[0]);
    else if (Number.isInteger(n) && n >= 0 && n <= 31) out.add(n);
    else
      throw new Error(
        `"${w}" is not a CPU exception: use a vector 0-31 or one of ${vectors.map(([, m]) => m).join(' ')}`,
      );
  }
  return [...out].sort((a, b) => a - b);
}

/** The settings, and per filter (in the request's order) whether it took effect and why not. */
export function settingsFromFilters(
  filters: string[],
  options: DebugProtocol.ExceptionFilterOptions[] = [],
): { settings: ExceptionSettings; results: DebugProtocol.Breakpoint[] } {
  const vectors = new Set<number>();
  let system: ExceptionSettings['system'];
  const results: DebugProtocol.Breakpoint[] = [];
  const all = [...filters.map((filterId) => ({ filterId, condition: undefined as string | undefined })), ...options];
  for (const f of all) {
    const old = /^vector-(\d+)$/.exec(f.filterId);
    try {
      if (f.filterId === SYSTEM_EVENTS_FILTER) {
        system = parseSystemEvents(f.condition);
        results.push({ verified: true, message: describeSystemBreaks(system) });
        continue;
      }
      if (old) vectors.add(Number(old[1]));
      else if (f.filterId === CPU_EXCEPTIONS_FILTER) for (const v of parseVectorCondition(f.condition)) vectors.add(v);
      const picked = f.filterId === CPU_EXCEPTIONS_FILTER ? parseVectorCondition(f.condition) : [];
      results.push({
        verified: true,
        message: picked.length ? `Stops on ${picked.map(vectorName).join(', ')}` : undefined,
      });
    } catch (e) {
      results.push({ verified: false, message: e instanceof Error ? e.message : String(e) });
    }
  }
  const ids = all.map((f) => f.filterId);
  return {
    settings: {
      stopOnTripleFault: ids.includes(TRIPLE_FAULT_FILTER),
      stopOnHang: ids.includes(HANG_FILTER),
      vectors: [...vectors].sort((a, b) => a - b),
      system,
    },
    results,
  };
}

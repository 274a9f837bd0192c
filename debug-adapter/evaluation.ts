// The expression context over a stopped machine: registers (and views and flags) from the facade, labels
// and EQU constants from the listing, segment bases from the hidden descriptor caches or the GDT.
import type { Machine, Registers } from '../common/api';
import { EvalContext } from '../common/expression';
import type { ListingMap } from '../common/listing';
import { readUint, selectorBase } from './memory';
import { readRegister, SEGMENTS } from './registers';

export function evalContext(machine: Machine, listing: ListingMap | undefined): EvalContext {
  let regs: Registers | undefined;
  const r = () => (regs ??= machine.getRegisters());
  return {
    register: (name) => (name === '$' ? r().eip : readRegister(r(), name)),
    symbol: (name) => listing?.label(name)?.value ?? listing?.constants.get(name),
    segmentBase: (segment) => {
      if (typeof segment === 'string') {
        if (!(SEGMENTS as readonly string[]).includes(segment)) throw new Error(`${segment} is not a segment register`);
        return r()[segment as (typeof SEGMENTS)[number]].base;
      }
      return selectorBase(machine, r(), segment);
    },
    readMemory: (linear, size) => {
      try {
        return readUint(machine, linear, size);
      } catch {
        throw new Error(
          `memory at 0x${linear.toString(16).toUpperCase()} (${size} bytes) cannot be read: it is outside guest RAM or not mapped`,
        );
      }
    },
  };
}

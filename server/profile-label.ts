// What the exit profile says about a line. A BIOS call exits once through the ROM stub's internal port 0xEF,
// and the machine charges that exit to the guest's `int`: so the line is named by the service it calls
// (`int 0x10 AH=0Eh (teletype output): 23 exits`), never by the port, which means nothing to the user.
import { lookupBiosService } from '../common/reference/bios';
import { hex } from '../common/reference/ports';
import type { ParsedFile } from './nasm-file';
import { ConstantLookup, evaluate, registersBefore, word } from './register-tracker';

/** The ROM stubs' call port (native/src/pc/bios/bios.h kBiosCallPort). */
export const BIOS_CALL_PORT = 0xef;

export interface ProfileLine {
  line: number;
  exits: number;
  ports: number[];
}

/** The BIOS call a profiled `int` line makes (AH as the code before it sets it), or undefined. */
export function biosCallOf(file: ParsedFile | undefined, p: ProfileLine, lookup?: ConstantLookup): string | undefined {
  if (!p.ports.includes(BIOS_CALL_PORT)) return undefined;
  const lexed = file?.lines[p.line];
  if (!file || lexed?.op?.name.toLowerCase() !== 'int') return 'BIOS calls';
  const vector = evaluate(lexed.operands, file, lookup);
  if (vector === undefined) return 'BIOS calls';
  const known = registersBefore(file, p.line, lookup);
  const service = lookupBiosService(vector, known.ah, word(known.al, known.ah));
  const h = (n: number, digits: number) => `${n.toString(16).toUpperCase().padStart(digits, '0')}h`;
  const selector =
    service?.ax !== undefined ? ` AX=${h(service.ax, 4)}` : known.ah !== undefined ? ` AH=${h(known.ah, 2)}` : '';
  return `int ${hex(vector)}${selector}${service ? ` (${service.name})` : ''}`;
}

/** The code lens and inlay tooltip of a profiled line. */
export function profileLabel(file: ParsedFile | undefined, p: ProfileLine, lookup?: ConstantLookup): string {
  const exits = `${p.exits} VM exit${p.exits === 1 ? '' : 's'}`;
  const bios = biosCallOf(file, p, lookup);
  const ports = p.ports.filter((x) => x !== BIOS_CALL_PORT);
  const portText =
    ports.length > 0
      ? ` (port${ports.length > 1 ? 's' : ''} ${ports
          .slice(0, 4)
          .map((x) => hex(x, 2))
          .join(', ')}${ports.length > 4 ? ', ...' : ''})`
      : '';
  return bios ? `${bios}: ${exits} in the last run${portText}` : `${exits} in the last run${portText}`;
}

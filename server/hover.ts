// Hover text: instructions (what they do, which flags), BIOS calls (the service AH selects), I/O ports
// (what lives there on a PC), registers (their value while a debug session is stopped), and symbols.
import type { Registers, SegmentRegister } from '../common/api';
import { biosServicesOf, biosVector, lookupBiosService } from '../common/reference/bios';
import { lookupDirective } from '../common/reference/directives';
import { describeInstruction, lookupInstruction } from '../common/reference/instructions';
import { hex, lookupPort } from '../common/reference/ports';
import type { ParsedFile, SymbolDef } from './nasm-file';
import { REGISTERS } from './nasm-lexer';
import { ConstantLookup, evaluate, registersBefore, word } from './register-tracker';

export interface HoverContext {
  file: ParsedFile;
  lineText: string;
  line: number;
  character: number;
  registers?: Registers | null;
  registersNote?: string;
  /** Finds a symbol's definition (across includes) for a name as written at this line. */
  findDefinition(name: string): { def: SymbolDef; where: string } | undefined;
  /** Value text of an equ/%define from the file's %include unit. */
  constant?: ConstantLookup;
}

export interface HoverResult {
  markdown: string;
  start: number;
  end: number;
}

export function wordAt(text: string, character: number): { text: string; start: number; end: number } | undefined {
  const isWord = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_.?@$#~]/.test(c);
  let start = character;
  let end = character;
  while (start > 0 && isWord(text[start - 1])) start--;
  while (end < text.length && isWord(text[end])) end++;
  if (start === end) return undefined;
  return { text: text.slice(start, end), start, end };
}

export function hoverAt(ctx: HoverContext): HoverResult | undefined {
  const w = wordAt(ctx.lineText, ctx.character);
  const lexed = ctx.file.lines[ctx.line];
  if (!w || !lexed) return undefined;
  const cut = ctx.lineText.indexOf(';');
  if (cut >= 0 && w.start >= cut && ctx.lineText.slice(0, cut).split(/["'`]/).length % 2 === 1) return undefined;
  const lower = w.text.toLowerCase();
  const op = lexed.op?.name;
  const onOp = lexed.op !== undefined && w.start >= lexed.op.start && w.end <= lexed.op.end;
  const parts: string[] = [];

  if (onOp && op) {
    const info = lookupInstruction(op);
    const directive = info ? undefined : lookupDirective(op);
    if (info) parts.push(describeInstruction(info));
    else if (directive) parts.push(`**${op}** (NASM): ${directive}`);
  }
  if (op === 'int' && (onOp || w.start >= lexed.operandsStart)) {
    const bios = biosHover(ctx);
    if (bios) parts.push(bios);
  }
  if ((op === 'in' || op === 'out') && (onOp || w.start >= lexed.operandsStart)) {
    const port = portHover(ctx, op);
    if (port) parts.push(port);
  }
  if (parts.length === 0 && REGISTERS.has(lower) && w.start >= lexed.operandsStart) {
    const reg = registerHover(lower, ctx.registers, ctx.registersNote);
    if (reg) parts.push(reg);
  }
  if (parts.length === 0 && !REGISTERS.has(lower)) {
    // Also on the operation: a macro call names a symbol.
    const found = ctx.findDefinition(w.text);
    if (found) {
      const d = found.def;
      const what = {
        label: 'label',
        data: 'data label',
        local: 'local label',
        macro: 'macro',
        equ: 'constant (equ)',
        define: 'preprocessor define',
      }[d.kind];
      parts.push(
        `**${d.name}**: ${what} defined at ${found.where}${d.value !== undefined ? `\n\n\`\`\`nasm\n${d.written} ${d.kind === 'equ' ? 'equ ' : ''}${d.value}\n\`\`\`` : ''}`,
      );
    }
  }
  if (parts.length === 0) return undefined;
  return { markdown: parts.join('\n\n---\n\n'), start: w.start, end: w.end };
}

function biosHover(ctx: HoverContext): string | undefined {
  const vector = evaluate(ctx.file.lines[ctx.line].operands, ctx.file, ctx.constant);
  if (vector === undefined) return undefined;
  const known = registersBefore(ctx.file, ctx.line, ctx.constant);
  const ax = word(known.al, known.ah);
  const service = lookupBiosService(vector, known.ah, ax);
  const vec = biosVector(vector);
  const title = `**INT ${hex(vector)}**${vec ? `: ${vec.name}` : ''}`;
  if (service) {
    const selector = service.ax !== undefined ? `AX=${hex(service.ax, 4)}` : `AH=${hex(service.ah ?? 0)}`;
    return `${title}\n\n${selector}: **${service.name}**\n\n${service.detail}`;
  }
  const all = biosServicesOf(vector);
  if (all.length === 0)
    return vec
      ? title
      : `**INT ${hex(vector)}**: not a BIOS service vector (under Bootvisor it goes through the IVT entry at ${hex(vector * 4, 4)})`;
  const why =
    known.ah === undefined
      ? 'AH is not set just before this line'
      : `AH=${hex(known.ah)} is not a known service of this vector`;
  return `${title}\n\n${why}; services by AH:\n\n${all
    .slice(0, 16)
    .map((s) => `- ${s.ax !== undefined ? `AX=${hex(s.ax, 4)}` : `AH=${hex(s.ah ?? 0)}`}: ${s.name}`)
    .join('\n')}`;
}

function portHover(ctx: HoverContext, op: 'in' | 'out'): string | undefined {
  const [a = '', b = ''] = ctx.file.lines[ctx.line].operands.split(',').map((s) => s.trim());
  const portOperand = op === 'out' ? a : b;
  let port: number | undefined;
  let how = '';
  if (/^dx$/i.test(portOperand)) {
    const known = registersBefore(ctx.file, ctx.line, ctx.constant);
    port = word(known.dl, known.dh);
    how = port === undefined ? '' : ` (DX set just before)`;
    if (port === undefined) return '**Port in DX**: its value is not known from the lines before';
  } else {
    port = evaluate(portOperand, ctx.file, ctx.constant);
  }
  if (port === undefined) return undefined;
  const info = lookupPort(port);
  if (!info) return `**Port ${hex(port, 2)}**${how}: nothing standard on a PC lives there`;
  return `**Port ${hex(port, 2)}**${how}: ${info.name}\n\n${info.device}`;
}

const FLAG_BITS: [number, string][] = [
  [0, 'CF'],
  [2, 'PF'],
  [4, 'AF'],
  [6, 'ZF'],
  [7, 'SF'],
  [8, 'TF'],
  [9, 'IF'],
  [10, 'DF'],
  [11, 'OF'],
  [17, 'VM'],
];

function registerHover(reg: string, regs: Registers | null | undefined, note?: string): string | undefined {
  if (!regs) return undefined;
  const heading = note ? ` (${note})` : ' (debug session stopped)';
  const gp = (name: 'eax' | 'ebx' | 'ecx' | 'edx' | 'esi' | 'edi' | 'ebp' | 'esp'): number => (regs[name] ?? 0) >>> 0;
  const show = (value: number, digits: number) => `${hex(value >>> 0, digits)} (${value >>> 0})`;
  let text: string | undefined;
  const m32 = /^e([abcd]x|si|di|bp|sp)$/.exec(reg);
  const m16 = /^([abcd]x|si|di|bp|sp)$/.exec(reg);
  const m8 = /^([abcd])([lh])$/.exec(reg);
  if (m32) text = show(gp(reg as 'eax'), 8);
  else if (m16) text = show(gp(`e${reg}` as 'eax') & 0xffff, 4);
  else if (m8) {
    const v = gp(`e${m8[1]}x` as 'eax');
    text = show(m8[2] === 'l' ? v & 0xff : (v >> 8) & 0xff, 2);
  } else if (reg === 'ip' || reg === 'eip')
    text = show(reg === 'ip' ? regs.eip & 0xffff : regs.eip, reg === 'ip' ? 4 : 8);
  else if (['cs', 'ds', 'es', 'fs', 'gs', 'ss'].includes(reg)) {
    const s = regs[reg as 'cs'] as SegmentRegister;
    text = `${hex(s.selector, 4)} (base ${hex(s.base >>> 0, 8)}, limit ${hex(s.limit >>> 0, 8)})`;
  } else if (reg === 'flags' || reg === 'eflags') {
    const set = FLAG_BITS.filter(([bit]) => (regs.eflags >>> bit) & 1).map(([, n]) => n);
    text = `${hex(regs.eflags >>> 0, 8)} [${set.join(' ')}]`;
  } else if (/^cr[0234]$/.test(reg)) text = show(regs[reg as 'cr0'] >>> 0, 8);
  if (text === undefined) return undefined;
  return `**${reg.toUpperCase()}** = ${text}${heading}`;
}

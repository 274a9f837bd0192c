// Mistakes that nasm accepts but that stop a boot sector from working: too big for 510 bytes, no 0x55AA
// signature, absolute addresses without `org 0x7C00`, and 32-bit code assembled as 16-bit after the switch
// to protected mode.
import { ParsedFile, parseNumber } from './nasm-file';

export interface Finding {
  line: number;
  start: number;
  end: number;
  severity: 'error' | 'warning' | 'information';
  code: string;
  message: string;
  related?: { line: number; message: string }[];
}

/** Address of each top-level line of the main file in a nasm listing (included and macro lines skipped). */
export function listingAddresses(listing: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const text of listing.split(/\r?\n/)) {
    const m = /^\s*(\d+) ([0-9A-F]{8}) (\S*)\s*(<\d+>)?/.exec(text);
    if (!m || m[4] || /<\d+>/.test(text.slice(30, 42))) continue;
    const line = Number(m[1]) - 1;
    if (!out.has(line)) out.set(line, parseInt(m[2], 16));
  }
  return out;
}

const PADDING = /\btimes\s+0*510\s*-\s*\(?\s*\$\s*-\s*\$\$\s*\)?/i;
const SIGNATURE = /\b(0x)?aa55h?\b|0x55\s*,\s*0xaa\b|55h\s*,\s*0aah\b/i;
const NEAR_BRANCH = /^(j(?!mp\b)[a-z]+|jmp|call|loop[a-z]*|jcxz|jecxz)$/;

/** What the file's %includes contribute: their text, and whether one of them sets `org`. */
export interface IncludedContext {
  text: string;
  org?: number;
}

export function isBootSector(file: ParsedFile, text: string, included?: IncludedContext): boolean {
  const org = file.org?.value ?? included?.org;
  const all = included ? `${text}\n${included.text}` : text;
  return org === 0x7c00 || PADDING.test(all) || SIGNATURE.test(all);
}

export function bootSectorChecks(
  file: ParsedFile,
  text: string,
  image: Buffer | undefined,
  listing: string | undefined,
  included?: IncludedContext,
): Finding[] {
  if (!isBootSector(file, text, included)) return [];
  const findings: Finding[] = [];
  const lineText = text.split(/\r?\n/);
  const paddingLine = lineText.findIndex((l) =>
    PADDING.test(l.slice(0, l.indexOf(';') < 0 ? l.length : l.indexOf(';'))),
  );
  const addresses = listing ? listingAddresses(listing) : new Map<number, number>();

  // 1. Code and data over 510 bytes: measured where the padding starts (nasm only says "TIMES value is negative").
  if (paddingLine >= 0 && addresses.size > 0) {
    const size = addressAtOrAfter(addresses, paddingLine);
    if (size !== undefined && size > 510) {
      const crossing = [...addresses.entries()]
        .filter(([l, a]) => l < paddingLine && a < 510)
        .sort((x, y) => y[1] - x[1])[0];
      findings.push({
        ...spanOfLine(lineText, paddingLine),
        severity: 'error',
        code: 'boot-sector-too-big',
        message:
          `Code and data take ${size} bytes, ${size - 510} more than the 510 a boot sector holds before its 0x55AA signature. ` +
          'Move code to a second stage loaded with INT 13h, or make it smaller.',
        related: crossing
          ? [{ line: crossing[0], message: `byte 510 is passed in this line (it starts at offset ${crossing[1]})` }]
          : undefined,
      });
    }
  }

  // 2. The signature: the BIOS boots a sector only if bytes 510-511 are 55 AA.
  const wrongOrder = lineText.findIndex((l) => /\bdw\s+(0x55aa|55aah)\b/i.test(l));
  if (wrongOrder >= 0) {
    findings.push({
      ...spanOfLine(lineText, wrongOrder),
      severity: 'error',
      code: 'boot-signature-byte-order',
      message:
        '`dw 0x55AA` stores the bytes AA 55 (x86 is little-endian); the signature must be the bytes 55 AA: write `dw 0xAA55`.',
    });
  } else if (image && (image.length < 512 || image[510] !== 0x55 || image[511] !== 0xaa)) {
    const last = lastCodeLine(file);
    findings.push({
      ...spanOfLine(lineText, last),
      severity: 'error',
      code: 'boot-signature-missing',
      message:
        `The 0x55AA boot signature is missing (bytes 510-511 ${image.length < 512 ? `do not exist: the image is ${image.length} bytes` : `are ${hex2(image[510])} ${hex2(image[511])}`}); ` +
        'the BIOS will not boot this sector. End it with `times 510-($-$$) db 0` and `dw 0xAA55`.',
    });
  }

  // 3. Absolute addresses without `org 0x7C00` (and without the DS = 0x07C0 alternative).
  if (
    !file.org &&
    included?.org === undefined &&
    !/\b(0x0?7c0|0?7c0h)\b/i.test(text) &&
    !/\b(0x0?7c0|0?7c0h)\b/i.test(included?.text ?? '')
  ) {
    const labels = new Set(
      file.defs.filter((d) => d.kind === 'label' || d.kind === 'data' || d.kind === 'local').map((d) => d.name),
    );
    for (const use of file.uses) {
      const lexed = file.lines[use.line];
      const op = lexed.op?.name ?? '';
      if (!labels.has(use.name)) continue;
      const farJump = (op === 'jmp' || op === 'call') && /:/.test(lexed.operands);
      if (!farJump && (NEAR_BRANCH.test(op) || op === 'times' || op === 'equ' || op.startsWith('%'))) continue;
      findings.push({
        line: use.line,
        start: use.start,
        end: use.end,
        severity: 'warning',
        code: 'boot-missing-org',
        message:
          `\`${lineText[use.line].slice(use.start, use.end)}\` is used as an absolute address, but the file has no \`org 0x7C00\`: ` +
          'nasm counts addresses from 0 while the BIOS loads the sector at 0x7C00. Add `org 0x7C00` at the top (or load DS with 0x07C0).',
      });
      break;
    }
  }

  // 4. Far jump into protected mode whose target is still assembled as 16-bit code.
  findings.push(...protectedModeChecks(file));
  return findings;
}

function protectedModeChecks(file: ParsedFile): Finding[] {
  const findings: Finding[] = [];
  file.lines.forEach((lexed, line) => {
    if (lexed.op?.name !== 'mov' || !/^\s*cr0\s*,/i.test(lexed.operands)) return;
    // Clearing PE (the way back to real mode) is not a switch into protected mode.
    for (let back = Math.max(0, line - 6); back < line; back++) {
      const prev = file.lines[back];
      if (prev.op?.name === 'and' && /^\s*e?a[xl]\s*,/i.test(prev.operands)) return;
    }
    for (let next = line + 1; next < Math.min(file.lines.length, line + 12); next++) {
      const jump = file.lines[next];
      if (jump.op?.name !== 'jmp') continue;
      const m = /^(?:\s*(?:dword|word|far)\s+)*([^:\s]+)\s*:\s*([A-Za-z_.?][\w.?$#@~]*)\s*$/i.exec(
        jump.operands.trim(),
      );
      if (!m) return;
      const target = file.defs.find((d) => d.name === m[2] || d.written === m[2]);
      if (!target) return;
      if (file.bits[target.line] === 16) {
        const selector = parseNumber(m[1]);
        findings.push({
          line: target.line,
          start: target.start,
          end: target.end,
          severity: 'error',
          code: 'pm-code-assembled-16bit',
          message:
            `\`${target.written}\` is where the far jump after setting CR0.PE lands (line ${next + 1}), so it runs as ` +
            `${selector !== undefined ? `selector ${selector.toString(16).toUpperCase()}h's` : "the new CS's"} code (32-bit in a usual GDT), ` +
            'but it is assembled as 16-bit code: put `bits 32` before it.',
          related: [
            { line, message: 'CR0 is written here' },
            { line: next, message: 'the far jump into protected mode' },
          ],
        });
      }
      return;
    }
  });
  return findings;
}

function addressAtOrAfter(addresses: Map<number, number>, line: number): number | undefined {
  let best: [number, number] | undefined;
  for (const [l, a] of addresses) if (l >= line && (!best || l < best[0])) best = [l, a];
  if (best && best[0] === line) return best[1];
  // The padding line itself has no address when its count is negative: the next line tells where it began.
  return best?.[1];
}

function lastCodeLine(file: ParsedFile): number {
  for (let i = file.lines.length - 1; i >= 0; i--) if (file.lines[i].op || file.lines[i].label) return i;
  return 0;
}

function spanOfLine(lines: string[], line: number): { line: number; start: number; end: number } {
  const text = lines[line] ?? '';
  const start = text.length - text.trimStart().length;
  const comment = text.indexOf(';');
  const end = (comment >= 0 ? text.slice(0, comment) : text).trimEnd().length;
  return { line, start, end: Math.max(start, end) };
}

function hex2(n: number | undefined): string {
  return (n ?? 0).toString(16).toUpperCase().padStart(2, '0');
}

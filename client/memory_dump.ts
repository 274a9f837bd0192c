// The memory view's model, over any DAP client: an address given as the user writes it (a register, `es:di`,
// a label, a number) is evaluated again at every stop, so the view follows it; 256 bytes are read from the
// 16-byte line that holds it; bytes that differ from what the previous stop showed are marked; a byte is
// written in place. Nothing here needs VS Code, so tests drive it against the real adapter.

/** What the model needs of a debug session (vscode.DebugSession has it). */
export interface DapRequester {
  customRequest(command: string, args?: unknown): Thenable<unknown>;
}

export const DUMP_BYTES = 256;
const ROW = 16;

export interface DumpRow {
  address: number;
  /** undefined: unreadable */
  bytes: (number | undefined)[];
  changed: boolean[];
}

export class MemoryDump {
  expression = 'cs:eip';
  /** Where the expression points (the view starts at its 16-byte line). */
  target = 0;
  base = 0;
  private bytes: (number | undefined)[] = [];
  /** What each address held at the last stop, to mark what changed since. */
  private atLastStop = new Map<number, number>();
  private changed = new Set<number>();
  problem = '';

  constructor(private readonly dap: DapRequester) {}

  /** Points the view at an expression (and follows it from now on). Throws the adapter's reason when it names no memory. */
  async show(expression: string): Promise<void> {
    this.target = await this.evaluate(expression);
    this.expression = expression.trim();
    this.base = this.target - (this.target % ROW);
    await this.read(false);
  }

  /** Moves by whole lines (negative: up); stops following the expression. */
  async scroll(lines: number): Promise<void> {
    this.base = Math.max(0, Math.min(0x100000000 - DUMP_BYTES, this.base + lines * ROW));
    this.expression = `0x${this.base.toString(16).toUpperCase()}`;
    this.target = this.base;
    await this.read(false);
  }

  /** The guest stopped: follow the expression again, and mark what changed since the last stop. */
  async stopped(): Promise<void> {
    try {
      this.target = await this.evaluate(this.expression);
      this.base = this.target - (this.target % ROW);
      this.problem = '';
    } catch (e) {
      this.problem = e instanceof Error ? e.message : String(e);
    }
    await this.read(true);
  }

  async write(address: number, value: number): Promise<void> {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw new Error(`a byte is 00 to FF, not ${value}`);
    await this.dap.customRequest('writeMemory', {
      memoryReference: `0x${address.toString(16)}`,
      data: Buffer.from([value]).toString('base64'),
    });
    await this.read(false);
  }

  rows(): DumpRow[] {
    const out: DumpRow[] = [];
    for (let r = 0; r < DUMP_BYTES / ROW; r++) {
      const address = this.base + r * ROW;
      const bytes = this.bytes.slice(r * ROW, r * ROW + ROW);
      out.push({ address, bytes, changed: bytes.map((_, i) => this.changed.has(address + i)) });
    }
    return out;
  }

  private async evaluate(expression: string): Promise<number> {
    const body = (await this.dap.customRequest('evaluate', { expression, context: 'watch' })) as {
      result: string;
      memoryReference?: string;
    };
    const n = Number(body.memoryReference ?? body.result);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
      throw new Error(`"${expression}" is ${body.result}, not an address`);
    return n;
  }

  private async read(atStop: boolean): Promise<void> {
    let data = new Uint8Array(0);
    try {
      const body = (await this.dap.customRequest('readMemory', {
        memoryReference: `0x${this.base.toString(16)}`,
        count: DUMP_BYTES,
      })) as { data?: string };
      data = new Uint8Array(Buffer.from(body.data ?? '', 'base64'));
    } catch (e) {
      this.problem = e instanceof Error ? e.message : String(e);
    }
    this.bytes = Array.from({ length: DUMP_BYTES }, (_, i) => (i < data.length ? data[i] : undefined));
    if (!atStop) return;
    this.changed = new Set();
    this.bytes.forEach((v, i) => {
      const before = this.atLastStop.get(this.base + i);
      if (v !== undefined && before !== undefined && before !== v) this.changed.add(this.base + i);
    });
    this.atLastStop = new Map();
    this.bytes.forEach((v, i) => v !== undefined && this.atLastStop.set(this.base + i, v));
  }
}

const hex = (n: number, digits: number) => n.toString(16).toUpperCase().padStart(digits, '0');

function escapeHtml(c: string): string {
  return c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : c === '"' ? '&quot;' : c;
}

/** The dump as table rows: address, 16 editable hex cells, the ASCII column; changed bytes get class "changed". */
export function renderRows(rows: DumpRow[], target: number): string {
  return rows
    .map((row) => {
      const cells = row.bytes
        .map((b, i) => {
          const a = row.address + i;
          const cls = ['b', row.changed[i] ? 'changed' : '', a === target ? 'target' : ''].filter(Boolean).join(' ');
          return b === undefined
            ? `<td class="${cls} unreadable">??</td>`
            : `<td class="${cls}" data-a="${a}" tabindex="0">${hex(b, 2)}</td>`;
        })
        .join('');
      const ascii = row.bytes
        .map((b, i) => {
          const c = b === undefined ? ' ' : b >= 0x20 && b < 0x7f ? escapeHtml(String.fromCharCode(b)) : '.';
          return row.changed[i] ? `<span class="changed">${c}</span>` : c;
        })
        .join('');
      return `<tr><th>${hex(row.address, 8)}</th>${cells}<td class="ascii">${ascii}</td></tr>`;
    })
    .join('\n');
}

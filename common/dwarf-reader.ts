// The little-endian byte reader the DWARF readers share (dwarf-line.ts, dwarf-forms.ts, dwarf-units.ts): it
// throws a RangeError past the end of its bytes, which each reader catches to end one unit early.

export class Reader {
  at: number;
  constructor(
    readonly b: Uint8Array,
    at = 0,
  ) {
    this.at = at;
  }
  get done(): boolean {
    return this.at >= this.b.length;
  }
  u8(): number {
    if (this.at >= this.b.length) throw new RangeError('past the end');
    return this.b[this.at++];
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  uleb(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.u8();
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if (!(byte & 0x80)) return result;
    }
    return result;
  }
  sleb(): number {
    let result = 0;
    let scale = 1;
    let byte = 0;
    for (let i = 0; i < 10; i++) {
      byte = this.u8();
      result += (byte & 0x7f) * scale;
      scale *= 128;
      if (!(byte & 0x80)) break;
    }
    return byte & 0x40 ? result - scale : result;
  }
  cstr(): string {
    const start = this.at;
    while (this.at < this.b.length && this.b[this.at] !== 0) this.at++;
    const s = Buffer.from(this.b.buffer, this.b.byteOffset + start, this.at - start).toString('utf8');
    this.at++;
    return s;
  }
  skip(n: number): void {
    this.at += n;
  }
}

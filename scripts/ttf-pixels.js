// Pixel fonts stored as TrueType outlines (each pixel a square of the outline, as the "Px" fonts of Debian's
// fonts-pc draw ROM fonts): the bitmap a character's outline covers, one byte per row, bit 7 leftmost. Reads
// just what that takes (head, hhea, cmap formats 4 and 12, loca, glyf simple glyphs, OpenType spec) and
// samples each pixel's centre with the nonzero winding rule, so straight-edged pixel outlines come back exact.
'use strict';
const fs = require('fs');

function readTtf(file) {
  const d = fs.readFileSync(file);
  const tables = new Map();
  for (let i = 0, n = d.readUInt16BE(4); i < n; i++) {
    const at = 12 + i * 16;
    tables.set(d.toString('latin1', at, at + 4), { offset: d.readUInt32BE(at + 8), length: d.readUInt32BE(at + 12) });
  }
  const table = (tag) => {
    const t = tables.get(tag);
    if (!t) throw new Error(`${file}: no '${tag}' table`);
    return t.offset;
  };
  const head = table('head'),
    hhea = table('hhea'),
    cmap = table('cmap'),
    loca = table('loca'),
    glyf = table('glyf');
  const unitsPerEm = d.readUInt16BE(head + 18),
    longLoca = d.readInt16BE(head + 50) === 1;
  const ascender = d.readInt16BE(hhea + 4),
    descender = d.readInt16BE(hhea + 6);

  const glyphOf = new Map(); // code point -> glyph index
  for (let i = 0, n = d.readUInt16BE(cmap + 2); i < n; i++) {
    const sub = cmap + d.readUInt32BE(cmap + 4 + i * 8 + 4);
    const format = d.readUInt16BE(sub);
    if (format === 4) {
      const segs = d.readUInt16BE(sub + 6) / 2;
      const ends = sub + 14,
        starts = ends + segs * 2 + 2,
        deltas = starts + segs * 2,
        ranges = deltas + segs * 2;
      for (let s = 0; s < segs; s++) {
        const end = d.readUInt16BE(ends + s * 2),
          start = d.readUInt16BE(starts + s * 2);
        const delta = d.readInt16BE(deltas + s * 2),
          range = d.readUInt16BE(ranges + s * 2);
        for (let c = start; c <= end && c !== 0xffff; c++) {
          let g = range === 0 ? c + delta : d.readUInt16BE(ranges + s * 2 + range + (c - start) * 2);
          if (range !== 0 && g !== 0) g += delta;
          if (!glyphOf.has(c)) glyphOf.set(c, g & 0xffff);
        }
      }
    } else if (format === 12) {
      for (let g = 0, n2 = d.readUInt32BE(sub + 12); g < n2; g++) {
        const at = sub + 16 + g * 12;
        const start = d.readUInt32BE(at),
          end = d.readUInt32BE(at + 4),
          first = d.readUInt32BE(at + 8);
        for (let c = start; c <= end; c++) if (!glyphOf.has(c)) glyphOf.set(c, first + c - start);
      }
    }
  }

  const glyphStart = (g) => (longLoca ? d.readUInt32BE(loca + g * 4) : d.readUInt16BE(loca + g * 2) * 2);
  /** The contours of glyph g as point lists ([x, y] in font units, on-curve points only: pixel edges). */
  const contours = (g) => {
    const start = glyf + glyphStart(g),
      end = glyf + glyphStart(g + 1);
    if (end <= start) return [];
    const count = d.readInt16BE(start);
    if (count < 0) throw new Error(`${file}: glyph ${g} is composite`);
    const endPts = Array.from({ length: count }, (_, i) => d.readUInt16BE(start + 10 + i * 2));
    const points = count ? endPts[count - 1] + 1 : 0;
    let p = start + 10 + count * 2;
    p += 2 + d.readUInt16BE(p); // instructions
    const flags = [];
    while (flags.length < points) {
      const f = d[p++];
      flags.push(f);
      if (f & 8) for (let r = d[p++]; r > 0; r--) flags.push(f);
    }
    const coords = (short, same) => {
      const out = [];
      let v = 0;
      for (const f of flags) {
        if (f & short) v += f & same ? d[p++] : -d[p++];
        else if (!(f & same)) {
          v += d.readInt16BE(p);
          p += 2;
        }
        out.push(v);
      }
      return out;
    };
    const xs = coords(2, 16),
      ys = coords(4, 32);
    const result = [];
    for (let c = 0, first = 0; c < count; first = endPts[c] + 1, c++) {
      const pts = [];
      for (let i = first; i <= endPts[c]; i++) {
        if (!(flags[i] & 1)) throw new Error(`${file}: glyph ${g} has curves (not a pixel outline)`);
        pts.push([xs[i], ys[i]]);
      }
      result.push(pts);
    }
    return result;
  };

  return {
    has: (codePoint) => glyphOf.has(codePoint) && glyphOf.get(codePoint) !== 0,
    /** Rows of 8 pixels, `height` of them, for the character's outline; the cell spans ascender to descender. */
    bitmap(codePoint, height) {
      const unit = (ascender - descender) / height;
      const shapes = contours(glyphOf.get(codePoint) ?? 0);
      const rows = Buffer.alloc(height);
      for (let r = 0; r < height; r++) {
        const y = ascender - (r + 0.5) * unit;
        for (let c = 0; c < 8; c++) {
          const x = (c + 0.5) * unit;
          let winding = 0;
          for (const pts of shapes) {
            for (let i = 0; i < pts.length; i++) {
              const [x0, y0] = pts[i],
                [x1, y1] = pts[(i + 1) % pts.length];
              if (y0 <= y === y1 <= y) continue;
              const xi = x0 + ((y - y0) * (x1 - x0)) / (y1 - y0);
              if (xi > x) winding += y1 > y0 ? 1 : -1;
            }
          }
          if (winding !== 0) rows[r] |= 0x80 >> c;
        }
      }
      return rows;
    },
    unitsPerEm,
  };
}

module.exports = { readTtf };

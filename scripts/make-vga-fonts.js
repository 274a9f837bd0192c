#!/usr/bin/env node
// Regenerates native/src/pc/vga_font_data.cpp, the 8x16, 8x14 and 8x8 CP437 fonts Bootvisor ships, from
// Debian's console-setup-linux VGA console fonts (public domain; the VGA16 ones from Dmitry Bolkhovityanov's
// u_vga16 under an MIT-style licence: LICENSE-fonts.txt). Each CP437 code takes the glyph its Unicode
// character has in the first font that draws it as its own (not as a stand-in listed for a similar glyph) and
// not blank: Uni2 first, then the other Latin and Greek sets in name order. The few that no
// 14- or 8-line font holds are derived from our 16-line glyph (rows 1-14; the odd rows). Run it by hand after
// `apt-get install console-setup-linux`; the output is committed, so builds never read host fonts.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');

const DIR = process.env.CONSOLEFONTS || '/usr/share/consolefonts';
const OUT = path.join(__dirname, '..', 'native', 'src', 'pc', 'vga_font_data.cpp');

// CP437 as Unicode (0x00 and 0xFF are blank glyphs, 0x20 the space).
const CP437 = [...(
  '\u0000\u263A\u263B\u2665\u2666\u2663\u2660\u2022\u25D8\u25CB\u25D9\u2642\u2640\u266A\u266B\u263C' +
  '\u25BA\u25C4\u2195\u203C\u00B6\u00A7\u25AC\u21A8\u2191\u2193\u2192\u2190\u221F\u2194\u25B2\u25BC' +
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\u2302' +
  '\u00C7\u00FC\u00E9\u00E2\u00E4\u00E0\u00E5\u00E7\u00EA\u00EB\u00E8\u00EF\u00EE\u00EC\u00C4\u00C5' +
  '\u00C9\u00E6\u00C6\u00F4\u00F6\u00F2\u00FB\u00F9\u00FF\u00D6\u00DC\u00A2\u00A3\u00A5\u20A7\u0192' +
  '\u00E1\u00ED\u00F3\u00FA\u00F1\u00D1\u00AA\u00BA\u00BF\u2310\u00AC\u00BD\u00BC\u00A1\u00AB\u00BB' +
  '\u2591\u2592\u2593\u2502\u2524\u2561\u2562\u2556\u2555\u2563\u2551\u2557\u255D\u255C\u255B\u2510' +
  '\u2514\u2534\u252C\u251C\u2500\u253C\u255E\u255F\u255A\u2554\u2569\u2566\u2560\u2550\u256C\u2567' +
  '\u2568\u2564\u2565\u2559\u2558\u2552\u2553\u256B\u256A\u2518\u250C\u2588\u2584\u258C\u2590\u2580' +
  '\u03B1\u00DF\u0393\u03C0\u03A3\u03C3\u00B5\u03C4\u03A6\u0398\u03A9\u03B4\u221E\u03C6\u03B5\u2229' +
  '\u2261\u00B1\u2265\u2264\u2320\u2321\u00F7\u2248\u00B0\u2219\u00B7\u221A\u207F\u00B2\u25A0\u0000')].map((c) => c.codePointAt(0));
// Look-alikes a font may hold instead (the pointers drawn as triangles, the bullet operator as a middle dot).
const ALTERNATIVES = { 0x25ba: [0x25b6, 0x25b8], 0x25c4: [0x25c0, 0x25c2], 0x2219: [0x00b7] };

/**
 * A PSF1 or PSF2 font: glyph bitmaps (one byte per row, 8 wide), its first glyph for each code point, and the
 * code points that are a glyph's first (its own drawing, not a stand-in such as a single line for a double one).
 */
function readPsf(file) {
  const d = zlib.gunzipSync(fs.readFileSync(file));
  const glyphs = [];
  const map = new Map();
  const primary = new Map();
  const add = (u, i, first) => {
    if (!map.has(u)) map.set(u, i);
    if (first && !primary.has(u)) primary.set(u, i);
  };
  if (d.readUInt16LE(0) === 0x0436) {
    const mode = d[2], height = d[3], count = mode & 1 ? 512 : 256;
    for (let i = 0; i < count; i++) glyphs.push(d.subarray(4 + i * height, 4 + (i + 1) * height));
    let p = 4 + count * height;
    if (mode & 2) {
      for (let i = 0; i < count; i++) {
        let first = true;
        for (let u; (u = d.readUInt16LE(p)) !== 0xffff; p += 2) {
          if (u === 0xfffe) continue;
          add(u, i, first);
          first = false;
        }
        p += 2;
      }
    }
    return { height, width: 8, glyphs, map, primary };
  }
  if (d.readUInt32LE(0) !== 0x864ab572) throw new Error(`${file}: not a PSF font`);
  const header = d.readUInt32LE(8), count = d.readUInt32LE(16), bytes = d.readUInt32LE(20);
  const height = d.readUInt32LE(24), width = d.readUInt32LE(28);
  for (let i = 0; i < count; i++) glyphs.push(d.subarray(header + i * bytes, header + (i + 1) * bytes));
  const table = d.subarray(header + count * bytes).toString('utf8').split('\xff');
  for (let i = 0; i < count && i < table.length; i++) {
    [...table[i].split('\ufffe')[0]].forEach((ch, k) => add(ch.codePointAt(0), i, k === 0));
  }
  return { height, width, glyphs, map, primary };
}

function fontsOf(height) {
  const rank = (f) => (/^Uni2-/.test(f) ? 0 : /^Lat15-/.test(f) ? 1 : 2);
  return fs.readdirSync(DIR)
    .filter((f) => f.endsWith(`-VGA${height}.psf.gz`) && /^(Uni|Lat|Greek|FullGreek)/.test(f))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((f) => ({ name: f, font: readPsf(path.join(DIR, f)) }))
    .filter((f) => f.font.width === 8 && f.font.height === height);
}

function build(height, fallback, derive = () => false) {
  const fonts = fontsOf(height);
  if (fonts.length === 0) throw new Error(`no 8x${height} VGA console fonts in ${DIR}: apt-get install console-setup-linux`);
  const out = Buffer.alloc(256 * height);
  const derived = [];
  for (let c = 0; c < 256; c++) {
    const u = CP437[c];
    if (u === 0 || u === 0x20) continue;
    // A font's own drawing of the character first, then a stand-in only if no font draws it.
    let glyph;
    for (const table of derive(c) ? [] : ['primary', 'map']) {
      for (const want of [u, ...(ALTERNATIVES[u] ?? [])]) {
        const f = fonts.find((x) => x.font[table].has(want) && x.font.glyphs[x.font[table].get(want)].some((b) => b !== 0));
        if (f) { glyph = f.font.glyphs[f.font[table].get(want)]; break; }
      }
      if (glyph) break;
    }
    if (!glyph) {
      if (!fallback) throw new Error(`U+${u.toString(16)} (CP437 ${c.toString(16)}h) is in no 8x${height} font`);
      glyph = fallback(c);
      derived.push(c);
    }
    Buffer.from(glyph).copy(out, c * height, 0, height);
  }
  return { data: out, derived, fonts: fonts.map((f) => f.name) };
}

const f16 = build(16);
const g16 = (c) => f16.data.subarray(c * 16, c * 16 + 16);
const f14 = build(14, (c) => g16(c).subarray(1, 15));
// The 8-line console fonts draw the Greek letters 0xE0-0xEF as other letters and signs: derive those too.
const f8 = build(8, (c) => Buffer.from(Array.from({ length: 8 }, (_, r) => g16(c)[2 * r + 1])), (c) => c >= 0xe0 && c <= 0xef);

let version = 'unknown';
try {
  version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'console-setup-linux']).toString();
} catch { /* not a Debian host: the fonts still say where they came from */ }

const hex = (buf, height) => {
  const lines = [];
  for (let c = 0; c < 256; c++) {
    lines.push('    ' + Array.from(buf.subarray(c * height, (c + 1) * height), (b) => `0x${b.toString(16).padStart(2, '0')},`).join(' ') + ` // ${c.toString(16).padStart(2, '0')}`);
  }
  return lines.join('\n');
};
const hexList = (cs) => cs.map((c) => c.toString(16).toUpperCase().padStart(2, '0') + 'h').join(' ') || 'none';
fs.writeFileSync(OUT, `// Generated by scripts/make-vga-fonts.js from Debian's console-setup-linux ${version} VGA console fonts
// (public domain; the 16-line ones from u_vga16, Copyright (c) 2000, 2001 Dmitry Bolkhovityanov, MIT-style
// licence: LICENSE-fonts.txt). Do not edit: regenerate.
// 8x16 from ${f16.fonts[0]} and others; derived from our 8x16: ${hexList(f16.derived)}.
// 8x14 from ${f14.fonts[0]} and others; derived from our 8x16 (rows 1-14): ${hexList(f14.derived)}.
// 8x8 from ${f8.fonts[0]} and others; derived from our 8x16 (its odd rows): ${hexList(f8.derived)}.
#include <cstdint>

namespace bv {

extern const uint8_t kVgaFont16[256 * 16] = {
${hex(f16.data, 16)}
};

extern const uint8_t kVgaFont14[256 * 14] = {
${hex(f14.data, 14)}
};

extern const uint8_t kVgaFont8[256 * 8] = {
${hex(f8.data, 8)}
};

}  // namespace bv
`);
console.log(`wrote ${path.relative(process.cwd(), OUT)}; derived 8x14: ${hexList(f14.derived)}; 8x8: ${hexList(f8.derived)}`);

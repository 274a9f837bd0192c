// Screen frames (contract B) on their way from the debug adapter to the guest screen webview, through DAP's
// JSON: text as its cells, graphics as palette indices of the rectangle that changed, the font and the
// palette only when they changed. A 80x25 text frame is about 5 KB of base64 instead of a 1.5 MB RGBA
// image. No Node-only APIs here: the webview bundles this file.
import type { ScreenFrame } from './api';

/** A ScreenFrame as JSON: byte arrays in base64; `pixels` holds only the `dirty` rectangle, row by row. */
export type ScreenFrameBody = Omit<ScreenFrame, 'cells' | 'font' | 'palette' | 'pixels'> & {
  /** Text: every cell, char | attr << 8, little-endian. */
  cells?: string;
  font?: string;
  palette?: string;
  /** Graphics: the palette indices of `dirty` (of the whole picture when there is no `dirty`). */
  pixels?: string;
  /** Text modes: the screen as text (for screen readers, copying and tests), one string per row. */
  lines?: string[];
};

const CHUNK = 0x8000;

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function cellBytes(cells: Uint16Array): Uint8Array {
  const out = new Uint8Array(cells.length * 2);
  for (let i = 0; i < cells.length; i++) {
    out[2 * i] = cells[i] & 0xff;
    out[2 * i + 1] = cells[i] >> 8;
  }
  return out;
}

function bytesToCells(bytes: Uint8Array): Uint16Array {
  const out = new Uint16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = bytes[2 * i] | (bytes[2 * i + 1] << 8);
  return out;
}

/** The rectangle, clipped to the picture; undefined when it covers nothing. */
function clip(r: ScreenFrame['dirty'], width: number, height: number): ScreenFrame['dirty'] {
  if (!r) return undefined;
  const x = Math.max(0, Math.min(width, r.x));
  const y = Math.max(0, Math.min(height, r.y));
  const w = Math.max(0, Math.min(width, r.x + r.width) - x);
  const h = Math.max(0, Math.min(height, r.y + r.height) - y);
  return { x, y, width: w, height: h };
}

/** For the wire; `lines` is the text of a text mode. */
export function encodeFrame(frame: ScreenFrame, lines?: string[]): ScreenFrameBody {
  const { cells, font, palette, pixels, ...rest } = frame;
  const body: ScreenFrameBody = { ...rest };
  if (cells) body.cells = toBase64(cellBytes(cells));
  if (font) body.font = toBase64(font);
  if (palette) body.palette = toBase64(palette);
  if (pixels) {
    const dirty = clip(frame.dirty, frame.width, frame.height);
    if (!dirty) body.pixels = toBase64(pixels);
    else {
      body.dirty = dirty;
      const bpp = frame.bytesPerPixel ?? 1;
      const rect = new Uint8Array(dirty.width * dirty.height * bpp);
      for (let y = 0; y < dirty.height; y++) {
        const from = ((dirty.y + y) * frame.width + dirty.x) * bpp;
        rect.set(pixels.subarray(from, from + dirty.width * bpp), y * dirty.width * bpp);
      }
      body.pixels = toBase64(rect);
    }
  }
  if (lines && frame.kind === 'text') body.lines = lines;
  return body;
}

/**
 * The receiving end: keeps the whole screen (font, palette, cells, every pixel) so frames that carry only
 * what changed can be applied, and a complete frame is at hand for a screenshot or a rebuilt view.
 */
export class ScreenState {
  private whole?: ScreenFrame;
  private text?: string[];

  /** The generation held, to ask for the next frame since it. */
  get generation(): number | undefined {
    return this.whole?.generation;
  }

  /** The whole screen now (undefined before the first frame). */
  get frame(): ScreenFrame | undefined {
    return this.whole;
  }

  get lines(): string[] | undefined {
    return this.text;
  }

  forget(): void {
    this.whole = undefined;
    this.text = undefined;
  }

  /**
   * Applies a frame from the wire; returns it as the renderer wants it (pixels of the whole picture, the
   * font and palette only when they came with it, `dirty` as sent), or undefined when it cannot apply
   * (a partial frame without the frame it builds on: ask for a whole one).
   */
  apply(body: ScreenFrameBody): ScreenFrame | undefined {
    const before = this.whole;
    const bpp = body.bytesPerPixel ?? 1;
    const sameShape =
      before &&
      before.width === body.width &&
      before.height === body.height &&
      before.kind === body.kind &&
      (before.bytesPerPixel ?? 1) === bpp;
    const font = body.font !== undefined ? fromBase64(body.font) : undefined;
    const palette = body.palette !== undefined ? fromBase64(body.palette) : undefined;
    const keptFont = font ?? before?.font;
    const keptPalette = palette ?? before?.palette;
    if (!keptPalette || (body.kind === 'text' && !keptFont)) return undefined;
    let pixels: Uint8Array | undefined;
    if (body.kind === 'graphics') {
      const rect = fromBase64(body.pixels ?? '');
      const d = body.dirty;
      // A change of mode comes as a "change" that covers the whole picture: it is a whole frame.
      if (!d || (d.x === 0 && d.y === 0 && d.width === body.width && d.height === body.height)) {
        pixels = rect.length === body.width * body.height * bpp ? rect : undefined;
      } else if (sameShape && before?.pixels && rect.length === d.width * d.height * bpp) {
        const all = before.pixels;
        const row = d.width * bpp;
        for (let y = 0; y < d.height; y++)
          all.set(rect.subarray(y * row, (y + 1) * row), ((d.y + y) * body.width + d.x) * bpp);
        pixels = all;
      }
      if (!pixels) return undefined;
    }
    // Text frames carry every cell, so one applies after a change of mode too.
    const cells =
      body.cells !== undefined ? bytesToCells(fromBase64(body.cells)) : sameShape ? before?.cells : undefined;
    if (body.kind === 'text' && !cells) return undefined;
    const { cells: _c, font: _f, palette: _p, pixels: _x, lines, ...rest } = body;
    this.whole = { ...rest, cells, pixels, font: keptFont, palette: keptPalette, dirty: undefined };
    this.text = lines;
    return { ...this.whole, font, palette, dirty: body.dirty };
  }
}

// The one screen renderer: a ScreenFrame (contract B, common/api.ts) into RGBA pixels, as the VGA's attribute
// controller and character generator draw it. The webview bundles this file and --screenshot uses it, so it
// must not touch Node-only APIs.
//
// Text cells are drawn as QEMU's VGA draws them, so screenshots can be compared with its screendump pixel for
// pixel: 8-dot cells, 9-dot cells whose 9th column is the background (or, with line graphics on, repeats the
// 8th column for 0xC0-0xDF, as the IBM VGA does: QEMU also repeats it for 0xB0-0xBF), and 8-dot cells doubled
// in 40-column modes (16 pixels: the VGA's 40-column modes are 9-dot, 720 pixels wide, but QEMU draws them
// 640 wide; both fill the same 4:3 screen).
import type { ScreenFrame } from './api';

export interface RenderedScreen {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major. */
  rgba: Uint8Array;
}

export interface RenderOptions {
  /**
   * The blink phase: true (default) shows blinking characters and the cursor, false hides them, as the VGA
   * alternates every 16 and 32 frames.
   */
  blinkOn?: boolean;
}

/**
 * Keeps what frames leave out when unchanged (font, palette) and the picture, so a frame asked for with
 * `sinceGeneration` redraws only its dirty rectangle.
 */
export class ScreenRenderer {
  private font?: Uint8Array;
  private palette?: Uint8Array;
  private picture?: RenderedScreen;
  private lastBlinkOn = true;

  /** Draws `frame` (a complete one, or one asked for since the last frame drawn here) and returns the picture. */
  render(frame: ScreenFrame, options: RenderOptions = {}): RenderedScreen {
    const blinkOn = options.blinkOn ?? true;
    let full = !frame.dirty || blinkOn !== this.lastBlinkOn;
    if (frame.font) {
      this.font = frame.font;
      full = true;
    }
    if (frame.palette) {
      this.palette = frame.palette;
      full = true;
    }
    const width = frame.width;
    const height = frame.height;
    if (!this.picture || this.picture.width !== width || this.picture.height !== height) {
      this.picture = { width, height, rgba: new Uint8Array(Math.max(0, width * height * 4)) };
      full = true;
    }
    this.lastBlinkOn = blinkOn;
    if (!this.palette) throw new Error('screen frame without a palette: ask for a whole frame first');
    const area = full || !frame.dirty ? { x: 0, y: 0, width, height } : frame.dirty;
    if (area.width <= 0 || area.height <= 0) return this.picture;
    if (frame.kind === 'graphics') drawPixels(frame, this.palette, this.picture, area);
    else {
      if (!this.font) throw new Error('text frame without a font: ask for a whole frame first');
      drawText(frame, this.font, this.palette, this.picture, area, blinkOn);
    }
    return this.picture;
  }
}

/** Renders a complete frame (one asked for without `sinceGeneration`). */
export function renderFrame(frame: ScreenFrame, options: RenderOptions = {}): RenderedScreen {
  return new ScreenRenderer().render(frame, options);
}

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

function put(out: Uint8Array, o: number, palette: Uint8Array, index: number): void {
  const p = index * 3;
  out[o] = palette[p] ?? 0;
  out[o + 1] = palette[p + 1] ?? 0;
  out[o + 2] = palette[p + 2] ?? 0;
  out[o + 3] = 255;
}

function drawPixels(frame: ScreenFrame, palette: Uint8Array, out: RenderedScreen, area: Rect): void {
  const pixels = frame.pixels ?? new Uint8Array(0);
  if (frame.bytesPerPixel === 3) {
    for (let y = area.y; y < area.y + area.height; y++) {
      for (let x = area.x; x < area.x + area.width; x++) {
        const i = y * frame.width + x;
        out.rgba[i * 4] = pixels[i * 3] ?? 0;
        out.rgba[i * 4 + 1] = pixels[i * 3 + 1] ?? 0;
        out.rgba[i * 4 + 2] = pixels[i * 3 + 2] ?? 0;
        out.rgba[i * 4 + 3] = 255;
      }
    }
    return;
  }
  for (let y = area.y; y < area.y + area.height; y++) {
    for (let x = area.x; x < area.x + area.width; x++) {
      const i = y * frame.width + x;
      put(out.rgba, i * 4, palette, pixels[i] ?? 0);
    }
  }
}

function drawText(
  frame: ScreenFrame,
  font: Uint8Array,
  palette: Uint8Array,
  out: RenderedScreen,
  area: Rect,
  blinkOn: boolean,
): void {
  const columns = frame.columns ?? 0;
  const cw = frame.cellWidth ?? 9;
  const ch = frame.cellHeight ?? 16;
  const cells = frame.cells ?? new Uint16Array(0);
  const doubled = cw >= 16;
  const dots = doubled ? cw / 2 : cw;
  const second = font.length >= 512 * ch ? 256 * ch : 0;
  const cursor = frame.cursor;
  const r0 = Math.floor(area.y / ch);
  const r1 = Math.min(frame.rows ?? 0, Math.ceil((area.y + area.height) / ch));
  const c0 = Math.floor(area.x / cw);
  const c1 = Math.min(columns, Math.ceil((area.x + area.width) / cw));
  for (let r = r0; r < r1; r++) {
    for (let c = c0; c < c1; c++) {
      const cell = cells[r * columns + c] ?? 0;
      const code = cell & 0xff;
      const attr = cell >> 8;
      const fg = attr & 0x0f;
      let bg = attr >> 4;
      let hideGlyph = false;
      if (frame.blink) {
        bg &= 7;
        hideGlyph = (attr & 0x80) !== 0 && !blinkOn;
      }
      const glyph = (attr & 0x08 ? second : 0) + code * ch;
      const ninth = dots === 9 && frame.lineGraphics === true && code >= 0xc0 && code <= 0xdf;
      let curFrom = ch;
      let curTo = -1;
      if (cursor?.visible && blinkOn && cursor.row === r && cursor.column === c) {
        curFrom = cursor.startLine;
        curTo = Math.min(cursor.endLine, ch - 1);
      }
      for (let y = 0; y < ch; y++) {
        const bits = hideGlyph ? 0 : (font[glyph + y] ?? 0);
        const solid = y >= curFrom && y <= curTo;
        let o = ((r * ch + y) * out.width + c * cw) * 4;
        for (let x = 0; x < dots; x++) {
          const on = solid || (x < 8 ? (bits >> (7 - x)) & 1 : ninth ? bits & 1 : 0);
          put(out.rgba, o, palette, on ? fg : bg);
          o += 4;
          if (doubled) {
            put(out.rgba, o, palette, on ? fg : bg);
            o += 4;
          }
        }
      }
    }
  }
}

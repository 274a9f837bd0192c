// The Multiboot2 boot information (specification 2.0, "Boot information format"): total_size and a reserved
// word, then tags, each 8-byte aligned, ending with an end tag. Which tags and in what order follows GRUB:
// command line, boot loader name, modules, basic memory information, the memory map, the framebuffer, and
// the load base when the kernel is relocatable. Pure: the pieces in, the bytes out.
import type { MultibootFramebuffer } from './multiboot-video';
import { MBI_TAG } from './multiboot2';

/** Bootvisor's console as a framebuffer: the VGA's 80x25 text mode, framebuffer type 2 (EGA text). */
export const EGA_TEXT_FRAMEBUFFER = {
  address: 0xb8000,
  pitch: 160,
  width: 80,
  height: 25,
  bpp: 16,
  type: 2,
} as const;

export interface Multiboot2InfoParts {
  /** The command line with its terminating NUL. */
  cmdline: Uint8Array;
  loaderName: string;
  modules: { start: number; end: number; name: Uint8Array }[];
  lowerKiB: number;
  upperKiB: number;
  memoryMap: { base: number; length: number; type: number }[];
  /** Physical address the image was loaded at, for a relocatable kernel (tag 21). */
  loadBase?: number;
  /** The framebuffer the kernel gets (common/multiboot-video.ts); EGA text when absent. */
  framebuffer?: MultibootFramebuffer;
}

const align8 = (n: number): number => (n + 7) & ~7;

export function buildMultiboot2Info(p: Multiboot2InfoParts): Uint8Array {
  const tags: Uint8Array[] = [];
  const tag = (type: number, bodyLength: number, fill: (v: DataView, bytes: Uint8Array) => void): void => {
    const bytes = new Uint8Array(align8(8 + bodyLength));
    const v = new DataView(bytes.buffer);
    v.setUint32(0, type, true);
    v.setUint32(4, 8 + bodyLength, true); // size excludes the padding, as the spec has it
    fill(v, bytes);
    tags.push(bytes);
  };
  tag(MBI_TAG.CMDLINE, p.cmdline.length, (_v, b) => b.set(p.cmdline, 8));
  const loader = Buffer.from(p.loaderName + '\0', 'latin1');
  tag(MBI_TAG.BOOT_LOADER_NAME, loader.length, (_v, b) => b.set(loader, 8));
  for (const m of p.modules) {
    tag(MBI_TAG.MODULE, 8 + m.name.length, (v, b) => {
      v.setUint32(8, m.start, true);
      v.setUint32(12, m.end, true);
      b.set(m.name, 16);
    });
  }
  tag(MBI_TAG.BASIC_MEMINFO, 8, (v) => {
    v.setUint32(8, p.lowerKiB, true);
    v.setUint32(12, p.upperKiB, true);
  });
  tag(MBI_TAG.MMAP, 8 + 24 * p.memoryMap.length, (v) => {
    v.setUint32(8, 24, true); // entry_size
    v.setUint32(12, 0, true); // entry_version
    p.memoryMap.forEach((e, i) => {
      const at = 16 + i * 24;
      v.setBigUint64(at, BigInt(e.base), true);
      v.setBigUint64(at + 8, BigInt(e.length), true);
      v.setUint32(at + 16, e.type, true);
    });
  });
  const fb = p.framebuffer ?? EGA_TEXT_FRAMEBUFFER;
  const fields = 'fields' in fb ? fb.fields : undefined;
  // addr u64, pitch, width, height, bpp u8, type u8, reserved u16; type 2 has no colour information, type 1
  // the red, green and blue field positions and mask sizes.
  tag(MBI_TAG.FRAMEBUFFER, fields ? 30 : 24, (v) => {
    v.setBigUint64(8, BigInt(fb.address), true);
    v.setUint32(16, fb.pitch, true);
    v.setUint32(20, fb.width, true);
    v.setUint32(24, fb.height, true);
    v.setUint8(28, fb.bpp);
    v.setUint8(29, fb.type);
    fields?.forEach((f, i) => v.setUint8(32 + i, f));
  });
  if (p.loadBase !== undefined) tag(MBI_TAG.LOAD_BASE_ADDR, 4, (v) => v.setUint32(8, p.loadBase!, true));
  tag(MBI_TAG.END, 0, () => undefined);

  const total = 8 + tags.reduce((n, t) => n + t.length, 0);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, total, true);
  let at = 8;
  for (const t of tags) {
    out.set(t, at);
    at += t.length;
  }
  return out;
}

// The framebuffer a Multiboot kernel gets (v1 header flag bit 2 with mode_type/width/height/depth; the
// Multiboot2 framebuffer tag), chosen as GRUB chooses: the VBE mode that fits the request (0 = no preference:
// 1024x768, 32 bits), set with its linear framebuffer and described as direct RGB (type 1) with the colour
// fields' positions and sizes; EGA text (type 2, the VGA's 80x25 at 0xB8000) when the kernel asks for text, or
// when no graphics mode fits and the kernel can take text. Indexed (8-bit) framebuffers are not offered: a
// depth the VBE modes lack (8 among them) gets the 32-bit mode of that size, and the kernel reads
// framebuffer_bpp, as the specifications tell it to.
import type { BootvisorMachine } from './machine';
import { MultibootError, type MultibootKernel } from './multiboot';
import { EGA_TEXT_FRAMEBUFFER } from './multiboot2-info';

export interface MultibootFramebuffer {
  address: number;
  pitch: number;
  width: number;
  height: number;
  bpp: number;
  /** 1: direct RGB; 2: EGA text. */
  type: 1 | 2;
  /** Type 1: red position, red size, green position, green size, blue position, blue size. */
  fields?: [number, number, number, number, number, number];
  /** The VBE mode set (type 1). */
  mode?: number;
}

export interface VideoRequest {
  /** True for graphics (v1 mode_type 0, any Multiboot2 framebuffer tag with a preference). */
  graphics: boolean;
  width: number;
  height: number;
  depth: number;
  /** The kernel can take EGA text when no graphics mode fits. */
  textOk: boolean;
}

const DEFAULT_WIDTH = 1024;
const DEFAULT_HEIGHT = 768;
/** The direct-colour depths the VBE modes have; their colour fields come from the machine (VideoMode). */
const DIRECT_DEPTHS = [15, 16, 24, 32];

export function describeFramebuffer(fb: MultibootFramebuffer): string {
  return fb.type === 2
    ? 'EGA text 80x25 at 0xB8000'
    : `${fb.width}x${fb.height}x${fb.bpp} RGB at 0x${fb.address.toString(16).toUpperCase()}, pitch ${fb.pitch} (VBE mode ${fb.mode?.toString(16)}h)`;
}

/** What the kernel's header asks for, if anything. */
export function videoRequest(kernel: MultibootKernel): VideoRequest | undefined {
  if (kernel.version === 2) {
    const fb = kernel.multiboot2?.framebuffer;
    if (!fb) return undefined;
    const flags = kernel.multiboot2?.consoleFlags;
    const textOk = fb.optional || flags === undefined || (flags & 2) !== 0;
    // No preference at all from a kernel that takes text: the console stays text, as before a mode is asked.
    const graphics = !(textOk && fb.width === 0 && fb.height === 0 && fb.depth === 0);
    return { graphics, width: fb.width, height: fb.height, depth: fb.depth, textOk };
  }
  const v = kernel.video;
  if (!v) return undefined;
  return { graphics: v.modeType === 0, width: v.width, height: v.height, depth: v.depth, textOk: true };
}

/** Sets the mode on the machine and says what the kernel gets; a MultibootError when nothing can do. */
export function chooseFramebuffer(m: BootvisorMachine, req: VideoRequest, name: string): MultibootFramebuffer {
  const text = { ...EGA_TEXT_FRAMEBUFFER } as MultibootFramebuffer;
  if (!req.graphics) return text;
  const width = req.width || DEFAULT_WIDTH;
  const height = req.height || DEFAULT_HEIGHT;
  const depth = DIRECT_DEPTHS.includes(req.depth) ? req.depth : 32;
  const mode = m.setVideoMode(width, height, depth);
  if (!mode) {
    if (req.textOk) return text;
    throw new MultibootError(
      `${name}: the kernel asks for a ${req.width}x${req.height}x${req.depth} framebuffer (0 = no preference) and cannot use EGA text, ` +
        `but no VBE mode of ${depth} bits fits within ${width}x${height} (the smallest is 320x200).`,
    );
  }
  return { ...mode, type: 1 };
}

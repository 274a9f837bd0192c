// The typed facade's contract: what the CLI, the debug adapter, the benchmarks and the tests may ask of a
// machine. `machine.ts` implements it over the native binding; nothing above common/ touches the binding.
import type { RegisterSnapshot } from './register-snapshot';

export type BackendName = 'auto' | 'software' | 'kvm' | 'nvmm';

export type ClockName = 'paced' | 'fast' | 'real' | 'virtual';

/**
 * One input in the machine's log, stamped with the instruction count at which it took effect (and the guest
 * time then: a halted guest passes several instants at one count). 'keys': PC set-1 scan codes; 'serial':
 * bytes received on COM1; 'reset': the host pressed reset; 'pace': a paced wait that an input cut short
 * moved guest time to timeNs.
 */
export interface InputEvent {
  at: number;
  kind: 'keys' | 'serial' | 'reset' | 'pace' | 'mouse';
  data?: number[];
  timeNs?: number;
}

export interface MachineConfig {
  /** The disk image: a bare 512-byte sector, a floppy image or a hard-disk image. */
  image?: Uint8Array;
  /**
   * Instead of `image`: the image's file. Large files are mapped copy-on-write rather than read, so host
   * memory follows the sectors the guest reads; the file is never written.
   */
  imagePath?: string;
  /** Guest RAM in MiB (default 32). */
  memoryMiB?: number;
  backend?: BackendName;
  /** 0x00 (floppy) or 0x80 (hard disk); chosen from what the image is when absent (see bootDriveReason). */
  bootDrive?: number;
  /** Refuse a sector without 0x55AA (default true). */
  requireSignature?: boolean;
  /**
   * Guest time. 'fast' (default) and 'paced' derive it from the instruction count, skipping idle time
   * deterministically (HLT, BIOS waits, a guest polling the clock), so runs and replays agree to the
   * instruction; 'fast' runs as fast as the host can, 'paced' sleeps to keep a PC's pace. 'real': the host's
   * clock (not deterministic). 'virtual' is the former name of 'fast'.
   */
  clock?: ClockName;
  /** Stop (reason 'unhandled-port') on an access to a port no device serves, instead of reading 0xFF. */
  stopOnUnhandledPort?: boolean;
}

/** A segment register with its hidden descriptor cache; attrib packed as NVMM does (type:4 s:1 dpl:2 p:1 avl:1 l:1 def:1 g:1). */
export interface SegmentRegister {
  selector: number;
  base: number;
  limit: number;
  attrib: number;
}

export interface TableRegister {
  base: number;
  limit: number;
}

export interface Registers {
  eax: number;
  ecx: number;
  edx: number;
  ebx: number;
  esp: number;
  ebp: number;
  esi: number;
  edi: number;
  eip: number;
  eflags: number;
  es: SegmentRegister;
  cs: SegmentRegister;
  ss: SegmentRegister;
  ds: SegmentRegister;
  fs: SegmentRegister;
  gs: SegmentRegister;
  gdtr: TableRegister;
  idtr: TableRegister;
  ldtr: SegmentRegister;
  tr: SegmentRegister;
  cr0: number;
  cr2: number;
  cr3: number;
  cr4: number;
  efer: number;
  /** DR0-DR3, DR6, DR7 */
  dr: number[];
  halted: boolean;
  intShadow: boolean;
}

/** The x87 FPU (getRegisters().fpu where the backend has one). */
export interface FpuRegisters {
  fcw: number;
  fsw: number;
  /** The full tag word, two bits per physical register (3 = empty). */
  ftw: number;
  fop: number;
  fip: number;
  fdp: number;
  fcs: number;
  fds: number;
  /** ST(0)-ST(7), 20 hex digits each: sign and exponent, then the 64-bit significand. */
  st: string[];
}

/** One step in the chain of events that led to a fault, e.g. #GP -> #DF -> shutdown. */
export interface FaultStep {
  vector: number;
  /** '#GP', '#DF', 'shutdown' */
  name: string;
  errorCode?: number;
  cs: number;
  eip: number;
  linear: number;
  /** The bytes of the instruction that was executing. */
  bytes: number[];
  /** Why, in words: "IDT limit 0x0000 is below vector 0x0D's descriptor". */
  reason: string;
}

export type StopReason =
  | 'entry'
  | 'step'
  | 'breakpoint'
  | 'watchpoint'
  | 'pause'
  | 'exception' // a vector the debugger asked to catch (before delivery)
  | 'triple-fault' // shutdown
  | 'hlt-cli' // HLT with interrupts disabled: the guest can never wake
  | 'guest-exit' // the isa-debug-exit port 0xF4
  | 'instruction-limit'
  | 'unhandled-port'
  | 'system-event' // a system event setSystemBreaks armed, just after it happened
  | 'error';

/**
 * What setSystemBreaks stops on. CR writes, LGDT/LIDT, mode and task switches, INT n and IRQs need the
 * software vCPU (on kvm/nvmm the hybrid runs the guest on it while any is armed); port ranges work everywhere.
 */
export interface SystemBreaks {
  /** Writes to CR0 (MOV, LMSW, CLTS), CR3, CR4. */
  controlRegisters?: (0 | 3 | 4)[];
  gdt?: boolean;
  idt?: boolean;
  /** A CS load that changes real / virtual-8086 / 16-bit / 32-bit protected mode (far JMP, CALL, RET, IRET, interrupts). */
  modeSwitch?: boolean;
  taskSwitch?: boolean;
  /** INT n, by vector (absent: any) and AH (absent: any); stops at the handler. */
  interrupts?: { vector?: number; ah?: number }[];
  /** IRQ lines 0-15 as the CPU takes them; stops at the handler. */
  irqLines?: number[];
  /** Inclusive port ranges; stops after the IN/OUT. */
  ports?: { first: number; last: number }[];
}

export type SystemEventKind =
  'control-register' | 'descriptor-table' | 'mode-switch' | 'task-switch' | 'interrupt' | 'irq' | 'port';

export interface StopEvent {
  reason: StopReason;
  cs: number;
  eip: number;
  /** CS base + EIP */
  linear: number;
  instructions: number;
  breakpointId?: number;
  watch?: { address: number; size: number; access: 'read' | 'write' };
  exception?: {
    vector: number;
    name: string;
    errorCode?: number;
    cr2?: number;
    chain: FaultStep[];
    explanation: string;
  };
  /** guest-exit: the process exit status QEMU's isa-debug-exit would give, (value << 1) | 1. */
  exitCode?: number;
  port?: number;
  /** system-event: which kind; `message` says what happened ("CR0 0x00000010 -> 0x00000011 (set PE)"). */
  systemEvent?: SystemEventKind;
  message?: string;
  /** 'pause' only: the guest waits for what only the host can bring (a key, serial bytes) and nothing ran; step() says so instead of waiting. */
  idle?: boolean;
}

/** One executed instruction. `bits` is the code segment's default size when it ran (absent on backends that do not say). */
export interface HistoryEntry {
  cs: number;
  eip: number;
  linear: number;
  bytes: number[];
  bits?: 16 | 32;
}

export type WatchAccess = 'read' | 'write' | 'access';

export interface ScreenText {
  mode: number;
  columns: number;
  rows: number;
  /** One string per row, trailing spaces kept. */
  lines: string[];
  cursor: { row: number; column: number; visible: boolean };
}

/**
 * The screen as the display shows it, before colours become RGB (contract B). `common/screen-render.ts` is the
 * one renderer that turns it into pixels (the webview and --screenshot both use it).
 */
export interface ScreenFrame {
  /** Grows whenever anything in the frame changes; pass it back as `sinceGeneration` to get only what changed. */
  generation: number;
  /** The BIOS video mode (0x03, 0x13...), a VBE mode (0x101, 0x118...), or 0xFFFF for one set through the VBE ports. */
  mode: number;
  kind: 'text' | 'graphics';
  /** Pixels as rendered (80x25 text: 720x400; 40x25: 640x400; mode 13h: 320x200). */
  width: number;
  height: number;
  /** Width / height of the picture on the monitor (4/3 for every VGA mode): scale to this, not to width/height. */
  displayAspect?: number;
  /** Text: the grid and the cell size in pixels (cellWidth 9: the VGA's 9th column; 16: doubled 8-dot cells). */
  columns?: number;
  rows?: number;
  cellWidth?: number;
  cellHeight?: number;
  /** Text: rows * columns cells, char | attr << 8. */
  cells?: Uint16Array;
  cursor?: { row: number; column: number; visible: boolean; startLine: number; endLine: number };
  /** Text: attribute bit 7 blinks the character (true) or selects a bright background (false). */
  blink?: boolean;
  /** Text, 9-pixel cells: the 9th column repeats the 8th for the line-drawing characters 0xC0-0xDF. */
  lineGraphics?: boolean;
  /**
   * Text: the character generator, cellHeight bytes per character (bit 7 leftmost): 256 characters, or 512 when
   * attribute bit 3 selects the second 256. Only when changed since `sinceGeneration`.
   */
  font?: Uint8Array;
  /** Graphics: width * height palette indices, or with `bytesPerPixel` 3 (VBE direct colour) R, G, B each. */
  pixels?: Uint8Array;
  /** Graphics: 3 when `pixels` holds R, G, B per pixel (15/16/24/32-bit VBE modes; no palette then); else 1. */
  bytesPerPixel?: number;
  /** With `sinceGeneration`: the rectangle that changed since then (empty when nothing did). */
  dirty?: { x: number; y: number; width: number; height: number };
  /**
   * RGB triplets, 8 bits per channel: 16 entries (text attributes' colours, graphics modes of up to 16 colours)
   * or 256 (mode 13h). Only when changed since `sinceGeneration`.
   */
  palette?: Uint8Array;
}

/** A graphics mode a loader set: the VBE mode number and its linear framebuffer. */
export interface VideoMode {
  mode: number;
  address: number;
  pitch: number;
  width: number;
  height: number;
  bpp: number;
  /** Red position, red size, green position, green size, blue position, blue size (Multiboot's order). */
  fields: [number, number, number, number, number, number];
}

/** An exit or diagnostic worth telling the user about, as the run records it. */
export interface RunEvent {
  kind: 'unhandled-port' | 'unmapped-memory' | 'stack-overflow' | 'exception' | 'invalid-opcode' | 'disk-error';
  linear: number;
  cs: number;
  eip: number;
  message: string;
  port?: number;
  address?: number;
  vector?: number;
}

export interface MachineEvents {
  serial: (bytes: Uint8Array) => void;
  debugcon: (bytes: Uint8Array) => void;
  /** The guest changed what is on screen (coalesced; at most one per ~16 ms of host time while running). */
  screen: () => void;
  /** A non-fatal event for diagnostics (unknown port, unmapped memory...). */
  event: (e: RunEvent) => void;
  /**
   * The guest went idle (waiting for a key, or for nothing the machine can bring): screen and serial events
   * for everything before it came first, so the latest state can be checked now. Once per idle period.
   */
  idle: () => void;
  /** Paced clock: false when the host cannot keep the guest at a PC's pace (say so), true when it caught up. */
  pacing: (keepingUp: boolean) => void;
}

export interface Machine {
  readonly backend: string;
  /** Why this backend was chosen, and why the others were not usable. */
  readonly backendNote: string;

  /**
   * Runs on the native thread until the next stop; resolves with it. `maxInstructions` and `untilNs` (a guest
   * time, as virtualTimeNs gives, reached at the first instruction boundary at or past it) stop it with
   * 'instruction-limit'.
   */
  run(options?: { maxInstructions?: number; untilNs?: number }): Promise<StopEvent>;
  /** Stops a running guest; the pending run() resolves with reason 'pause'. */
  pause(): void;
  /** Executes exactly one instruction (an INT or a fault counts as one), synchronously; never blocks: a guest only the host can wake (waiting for a key) gives a pause with `idle` and runs nothing. */
  step(): StopEvent;
  /**
   * Runs up to maxInstructions on this thread and returns the stop; null when the budget ran out or where the
   * run would wait for the host (pacing, a halted guest, input): run() goes on from there. For a continue that
   * usually ends close by.
   */
  runSync?(maxInstructions: number): StopEvent | null;
  readonly running: boolean;

  getRegisters(): Registers;
  /** The registers now, as numbers decoded on demand (register-snapshot.ts); where absent, getRegisters. */
  registerSnapshot?(): RegisterSnapshot;
  setRegisters(regs: Partial<Registers>): void;
  /** The x87 registers, where the backend has them. */
  getFpu?(): FpuRegisters | undefined;
  /** Changes x87 registers (st entries left undefined stay); the caller keeps the tag word consistent. */
  setFpu?(fpu: Partial<FpuRegisters>): void;
  /** Guest memory by linear (through segmentation-free paging, if on) or physical address; unreadable bytes throw. */
  readMemory(address: number, length: number, space?: 'linear' | 'physical'): Uint8Array;
  writeMemory(address: number, data: Uint8Array, space?: 'linear' | 'physical'): void;
  /** Page walk of a linear address: the physical address, or why it does not translate. */
  translate(linear: number): { physical?: number; steps: string[] };

  addBreakpoint(linear: number): number;
  removeBreakpoint(id: number): void;
  addWatchpoint(address: number, length: number, access: WatchAccess): number;
  removeWatchpoint(id: number): void;
  /** Exception vectors (0-31) that stop before delivery. */
  setCatchExceptions(vectors: number[]): void;
  /** System events that stop just after they happen (an empty object disarms); throws on a backend that cannot. */
  setSystemBreaks(breaks: SystemBreaks): void;

  /** Recent instructions, oldest first: address, bytes and (software vCPU) the code size they ran in. */
  history(count: number): HistoryEntry[];
  instructionCount(): number;

  /** A whole-machine snapshot kept natively; cheap (dirty pages only). */
  snapshot(): number;
  restore(id: number): void;
  dropSnapshot(id: number): void;

  /** Keyboard: PC set-1 scan codes (make and break), or text typed as key presses. */
  sendScanCodes(codes: number[]): void;
  typeText(text: string): void;
  /** Bytes received on COM1. */
  sendSerial(bytes: Uint8Array): void;
  /** The host presses reset (an input like the others: logged and replayed). */
  reset(): void;
  /**
   * The PS/2 mouse moves by dx, dy (right and down, in mouse counts) with these buttons held (bit 0 left, 1
   * right, 2 middle); logged and replayed like the other inputs.
   */
  sendMouse(dx: number, dy: number, buttons: number): void;

  /**
   * Every input so far, oldest first (keys, serial, resets, pacing decisions). restore() keeps it: events
   * stamped after the restored instruction count are re-delivered at exactly their stamps as execution
   * passes them; a new live input while some are still pending drops those (a new timeline).
   */
  inputLog(): InputEvent[];
  /** Replaces the log (a recording): events not yet reached are delivered at their stamps. Not while running. */
  loadInputLog(events: InputEvent[]): void;

  screenText(): ScreenText;
  /**
   * The screen frame (contract B). With `sinceGeneration` (a generation the caller holds), the font and the
   * palette come only when they changed since then, and `dirty` says which rectangle did.
   */
  screenFrame(sinceGeneration?: number): ScreenFrame;
  /**
   * For a boot loader (Multiboot's video request): sets the VBE mode that best fits (0 = no preference; depth
   * 0 means 32) with its linear framebuffer, as the BIOS's AX=4F02h would; undefined when no mode fits.
   */
  setVideoMode(width: number, height: number, depth: number): VideoMode | undefined;
  /** The screen rendered by common/screen-render.ts (text with the VGA font, or graphics) as RGBA. */
  screenImage(): { width: number; height: number; rgba: Uint8Array };

  on<K extends keyof MachineEvents>(event: K, listener: MachineEvents[K]): this;
  off<K extends keyof MachineEvents>(event: K, listener: MachineEvents[K]): this;

  /** Frees the native machine; further calls throw. */
  dispose(): void;
}

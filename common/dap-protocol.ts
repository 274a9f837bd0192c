// Bootvisor's additions to the Debug Adapter Protocol: custom requests and events that any client (the
// extension's screen view, tests) can use. The adapter implements them; the extension only sends/listens.

/** Custom request: the guest screen now. */
export const SCREEN_REQUEST = 'bootvisor/screen';
export interface ScreenRequestArgs {
  /** 'text' gives the text screen; 'image' gives RGBA pixels (base64). Default 'image'. */
  format?: 'text' | 'image';
}
export interface ScreenResponseBody {
  mode: number;
  width: number;
  height: number;
  /** base64 RGBA, width*height*4 bytes (format 'image'). */
  rgba?: string;
  /** format 'text' */
  lines?: string[];
  cursor?: { row: number; column: number; visible: boolean };
}

/**
 * Custom request: the screen as a frame (contract B) for common/screen-render.ts: cells, or palette indices of
 * the rectangle that changed since `sinceGeneration`; font and palette only when changed since then.
 */
export const SCREEN_FRAME_REQUEST = 'bootvisor/screenFrame';
export interface ScreenFrameArgs {
  /** The generation the client holds (from its last frame); absent: a whole frame. */
  sinceGeneration?: number;
  /** From now on, push every change as a SCREEN_FRAME_EVENT (built on the frames sent before). */
  push?: boolean;
}
export type { ScreenFrameBody } from './screen-wire';

/** Custom request: PC set-1 scan codes to the guest keyboard (make and break codes, 0xE0-prefixed extended keys). */
export const KEYS_REQUEST = 'bootvisor/keys';
export interface KeysRequestArgs {
  scanCodes?: number[];
  /** Typed as key presses (ASCII; newline is Enter). */
  text?: string;
}

/** Custom request: the PS/2 mouse moves (dx right, dy down, in mouse counts) with these buttons held. */
export const MOUSE_REQUEST = 'bootvisor/mouse';
export interface MouseRequestArgs {
  dx: number;
  dy: number;
  /** bit 0 left, bit 1 right, bit 2 middle */
  buttons: number;
}

/** Custom request: bytes to COM1's receiver. */
export const SERIAL_INPUT_REQUEST = 'bootvisor/serialInput';
export interface SerialInputArgs {
  /** base64 */
  data: string;
}

/** Custom request: pause/resume/reset from the screen toolbar are the standard DAP requests; reset is custom. */
export const RESET_REQUEST = 'bootvisor/reset';

/** Custom event: the screen changed (coalesced); the client asks for it with SCREEN_REQUEST. */
export const SCREEN_CHANGED_EVENT = 'bootvisor/screenChanged';

/**
 * Custom event, beside SCREEN_CHANGED_EVENT: the frame itself, pushed as soon as the guest changed the screen
 * (no request on the way from a key to the pixels), once the client asked for it (ScreenFrameArgs.push).
 * Only what changed since `baseGeneration`, the generation of the frame the adapter last sent (event or
 * SCREEN_FRAME_REQUEST's answer); a client holding another one asks for a whole frame instead.
 */
export const SCREEN_FRAME_EVENT = 'bootvisor/frame';
export type ScreenFrameEventBody = import('./screen-wire').ScreenFrameBody & {
  baseGeneration?: number;
  /** The first frame after a keys request: when the request came, the screen changed and the frame left. */
  trace?: import('./key-trace').AdapterKeyTrace;
};

/** Custom event: bytes the guest sent to COM1. */
export const SERIAL_EVENT = 'bootvisor/serial';
export interface SerialEventBody {
  /** base64 */
  data: string;
}

/** Custom event: backend in use and guest speed, about once a second while running. */
export const STATUS_EVENT = 'bootvisor/status';
export interface StatusEventBody {
  backend: string;
  running: boolean;
  /** guest instructions per second over the last interval (0 when not counted) */
  instructionsPerSecond: number;
  /** The guest's clock (the launch attribute `clock`). */
  clock?: 'paced' | 'fast' | 'real';
  /** Paced clock: false while the host cannot keep the guest at a PC's pace (it runs slower than a PC). */
  keepingUp?: boolean;
}

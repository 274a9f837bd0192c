// The messages between the screen webview and the extension host: declarations only, shared by both projects
// (the webview is a plain script without a module loader, so nothing here may be emitted as code).

/**
 * Host to webview: a screen frame (common/screen-wire.ts), only what changed since the previous one, or the
 * whole screen; none before the session's first frame (a dark screen).
 */
interface BvScreenMessage {
  type: 'screen';
  frame?: import('../common/screen-wire').ScreenFrameBody;
  /** The first frame after a key press: that key's way so far (common/key-trace.ts). */
  trace?: import('../common/key-trace').KeyTrace;
}

/** Host to webview: the session's state, for the toolbar. */
interface BvStateMessage {
  type: 'state';
  /** 'none' when no Bootvisor session is running */
  session: 'none' | 'running' | 'paused' | 'ended';
  /** a short line for the toolbar: backend and speed, or why the guest stopped */
  detail: string;
}

/** Host to webview: the settings the view follows (bootvisor.screenScale). */
interface BvSettingsMessage {
  type: 'settings';
  /** 'fit' the panel, or a fixed zoom: the guest's rows times this many CSS pixels tall, 4:3 wide. */
  scale: 'fit' | 1 | 2 | 3 | 4;
}

/**
 * Host to webview, through the direct channel only: the answer to a clock message, stamped with the host's
 * clock (common/key-trace.ts) as it went out, so the view can tell the two clocks' offset.
 */
interface BvClockMessage {
  type: 'clock';
  /** the view's stamp from the question */
  t: number;
  /** the host's stamp as it answered */
  hostAt: number;
}

type BvHostMessage = BvScreenMessage | BvStateMessage | BvSettingsMessage | BvClockMessage;

/** Webview to host. Keys are sent as physical key codes; the host turns them into scan codes. */
type BvWebviewMessage =
  | { type: 'ready' }
  /** The view could not apply a frame (it missed the one it builds on): send the whole screen. */
  | { type: 'resync' }
  /**
   * key and shift: what the host's layout typed (KeyboardEvent.key) and whether Shift was held, on key down;
   * t: when the view saw the key go down (common/key-trace.ts).
   */
  | { type: 'key'; code: string; down: boolean; key?: string; shift?: boolean; t?: number }
  /** The PS/2 mouse moved over the screen (dx right, dy down, in guest pixels) with these buttons held. */
  | { type: 'mouse'; dx: number; dy: number; buttons: number }
  /** Through the direct channel only: the host answers at once with its own clock (BvClockMessage). */
  | { type: 'clock'; t: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'reset' }
  | { type: 'screenshot' };

// The messages between the screen webview and the extension host: declarations only, shared by both projects
// (the webview is a plain script without a module loader, so nothing here may be emitted as code).

/** Host to webview: a new frame. */
interface BvScreenMessage {
  type: 'screen';
  mode: number;
  width: number;
  height: number;
  /** base64 RGBA, width*height*4 bytes; absent when the adapter only gave text */
  rgba?: string;
  /** the text of a text mode, one string per row */
  lines?: string[];
  cursor?: { row: number; column: number; visible: boolean };
}

/** Host to webview: the session's state, for the toolbar. */
interface BvStateMessage {
  type: 'state';
  /** 'none' when no Bootvisor session is running */
  session: 'none' | 'running' | 'paused' | 'ended';
  /** a short line for the toolbar: backend and speed, or why the guest stopped */
  detail: string;
}

type BvHostMessage = BvScreenMessage | BvStateMessage;

/** Webview to host. Keys are sent as physical key codes; the host turns them into scan codes. */
type BvWebviewMessage =
  | { type: 'ready' }
  | { type: 'key'; code: string; down: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'reset' }
  | { type: 'screenshot' };

// The guest screen inside the webview: draws the frames the host sends with the one renderer
// (common/screen-render.ts, bundled into this script by esbuild), turns key presses into messages, and runs
// the toolbar. It knows nothing about DAP; the host does all the talking to the debug adapter.

import { ScreenRenderer } from '../../common/screen-render';
import { ScreenState } from '../../common/screen-wire';
import { nowMs, type KeyTrace } from '../../common/key-trace';

declare function acquireVsCodeApi(): { postMessage(message: BvWebviewMessage): void };

(() => {
  const vscode = acquireVsCodeApi();
  const canvas = document.getElementById('screen') as HTMLCanvasElement;
  const context = canvas.getContext('2d', { alpha: false })!;
  const textLayer = document.getElementById('screen-text') as HTMLPreElement;
  const stage = document.getElementById('stage') as HTMLDivElement;
  const detail = document.getElementById('detail') as HTMLSpanElement;
  const pauseButton = document.getElementById('pause') as HTMLButtonElement;
  const resetButton = document.getElementById('reset') as HTMLButtonElement;
  const screenshotButton = document.getElementById('screenshot') as HTMLButtonElement;
  const hint = document.getElementById('hint') as HTMLDivElement;
  const grabButton = document.getElementById('grab') as HTMLButtonElement;

  let session: BvStateMessage['session'] = 'none';
  /** Keys held down, so that losing focus can release them (the guest would otherwise see a stuck key). */
  const held = new Set<string>();

  function post(message: BvWebviewMessage): void {
    vscode.postMessage(message);
  }

  /**
   * The direct channel to the extension (client/direct_channel.ts), when the host opened one: a WebSocket for
   * keys and mouse one way and frames the other, past the workbench's postMessage (in code-server a websocket
   * hop each way). Whenever it fails or closes, everything goes by postMessage again; body[data-direct] says
   * which way is in use (the e2e reads it).
   */
  const directUrl = document.body.dataset.directUrl;
  const directToken = document.body.dataset.directToken ?? '';
  let direct: WebSocket | undefined;

  function openDirect(): void {
    if (!directUrl) return;
    const socket = new WebSocket(`${directUrl}?token=${encodeURIComponent(directToken)}`);
    socket.addEventListener('open', () => {
      direct = socket;
      document.body.dataset.direct = 'up';
    });
    socket.addEventListener('message', (event: MessageEvent<unknown>) => {
      const receivedAt = nowMs();
      if (typeof event.data !== 'string') return;
      try {
        const message = JSON.parse(event.data) as BvHostMessage;
        if (message.type === 'clock') clockAnswered(message, receivedAt);
        else fromHost(message, receivedAt);
      } catch {
        // A message that is not one is dropped; the frames after it ask for the whole screen if they need it.
      }
    });
    // No reconnecting: the host sends by postMessage from the moment it sees the socket close.
    socket.addEventListener('close', () => {
      if (direct === socket) direct = undefined;
      document.body.dataset.direct = 'failed';
    });
  }

  /**
   * The host's clock against this page's, from questions over the direct channel (NTP's way): a question
   * stamped here, answered there, the answer stamped here again; the answer that came back soonest bounds the
   * offset best (to within half its round trip). The key traces' host stamps minus `offset` are in this page's
   * clock: the split of a key's way across the two processes is then real, not the two clocks' difference.
   */
  let clockWaiter: ((sample: { offset: number; rtt: number }) => void) | undefined;
  function clockAnswered(message: BvClockMessage, receivedAt: number): void {
    const rtt = receivedAt - message.t;
    clockWaiter?.({ offset: message.hostAt - (message.t + receivedAt) / 2, rtt });
  }
  async function syncClock(questions = 20): Promise<{ offset: number; rtt: number } | undefined> {
    let best: { offset: number; rtt: number } | undefined;
    for (let i = 0; i < questions && direct?.readyState === WebSocket.OPEN; i++) {
      const socket = direct;
      const sample = await new Promise<{ offset: number; rtt: number } | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 1_000);
        clockWaiter = (answer) => {
          clearTimeout(timer);
          resolve(answer);
        };
        socket.send(JSON.stringify({ type: 'clock', t: nowMs() } satisfies BvWebviewMessage));
      });
      clockWaiter = undefined;
      if (sample && (!best || sample.rtt < best.rtt)) best = sample;
    }
    return best;
  }
  (window as unknown as { bvSyncClock: typeof syncClock }).bvSyncClock = syncClock;

  /** A key or mouse message: through the direct channel when it is open, else by postMessage. */
  function input(message: Extract<BvWebviewMessage, { type: 'key' } | { type: 'mouse' }>): void {
    if (direct?.readyState === WebSocket.OPEN) direct.send(JSON.stringify(message));
    else post(message);
  }

  /** The whole screen from the frames so far, and the one renderer that turns it into pixels. */
  const state = new ScreenState();
  let renderer = new ScreenRenderer();
  let aspect = 4 / 3;

  function dark(): void {
    state.forget();
    renderer = new ScreenRenderer();
    canvas.width = 720;
    canvas.height = 400;
    context.fillStyle = '#000';
    context.fillRect(0, 0, canvas.width, canvas.height);
    textLayer.textContent = '';
    fit();
  }

  /** Draws a frame: only its dirty rectangle when it has one and the picture keeps its size. */
  function drawFrame(body: BvScreenMessage['frame']): void {
    if (!body) return dark();
    const frame = state.apply(body);
    if (!frame) {
      // A change without the frame it builds on: ask for the whole screen (a whole frame that cannot be drawn
      // would only come back the same, so that one leaves the screen dark).
      if (body.dirty) post({ type: 'resync' });
      else dark();
      return;
    }
    if (!body.dirty) renderer = new ScreenRenderer(); // a whole frame: nothing to keep from the last one
    const picture = renderer.render(frame);
    const resized = canvas.width !== picture.width || canvas.height !== picture.height;
    if (resized) {
      canvas.width = picture.width;
      canvas.height = picture.height;
    }
    if (picture.width > 0 && picture.height > 0) {
      const image = new ImageData(
        new Uint8ClampedArray(picture.rgba.buffer as ArrayBuffer, picture.rgba.byteOffset, picture.rgba.length),
        picture.width,
        picture.height,
      );
      const d = !resized && !body.font && !body.palette ? body.dirty : undefined;
      if (d) context.putImageData(image, 0, 0, d.x, d.y, d.width, d.height);
      else context.putImageData(image, 0, 0);
    }
    // The text is also kept as text: screen readers, copy, and tests read what the guest wrote.
    textLayer.textContent = state.lines ? state.lines.map((l) => l.trimEnd()).join('\n') : '';
    canvas.dataset.mode = String(frame.mode);
    if (aspect !== (frame.displayAspect ?? 4 / 3) || resized) {
      aspect = frame.displayAspect ?? 4 / 3;
      fit();
    }
  }

  /** Scales the canvas to the panel, at the shape the mode has on a monitor (4:3 for every VGA mode). */
  let scale: BvSettingsMessage['scale'] = 'fit';

  function fit(): void {
    const room = stage.getBoundingClientRect();
    let width = room.width,
      height = width / aspect;
    if (scale !== 'fit') {
      height = canvas.height * scale;
      width = height * aspect;
    } else if (height > room.height) {
      height = room.height;
      width = height * aspect;
    }
    stage.classList.toggle('zoomed', scale !== 'fit');
    canvas.style.width = `${Math.max(1, Math.floor(width))}px`;
    canvas.style.height = `${Math.max(1, Math.floor(height))}px`;
    // Enlarged, pixels stay crisp blocks; shrunk, nearest-neighbour would drop whole rows of a glyph, so blend.
    canvas.classList.toggle('shrunk', width * window.devicePixelRatio < canvas.width);
  }

  function setState(message: BvStateMessage): void {
    session = message.session;
    detail.textContent = message.detail;
    document.body.dataset.session = session;
    pauseButton.disabled = resetButton.disabled = session === 'none' || session === 'ended';
    pauseButton.textContent = session === 'paused' ? 'Resume' : 'Pause';
    pauseButton.title = session === 'paused' ? 'Resume the guest' : 'Pause the guest';
  }

  function releaseAll(): void {
    for (const code of held) input({ type: 'key', code, down: false });
    held.clear();
  }

  /**
   * The ways of the last keys from keydown to painted pixels (common/key-trace.ts), newest last: the e2e
   * suite prints their parts, and anyone can read them in the webview's developer tools.
   */
  const keyTraces: KeyTrace[] = [];
  (window as unknown as { bvKeyTraces: KeyTrace[] }).bvKeyTraces = keyTraces;

  function traced(trace: KeyTrace): void {
    if (keyTraces.length >= 64) keyTraces.shift();
    keyTraces.push(trace);
    requestAnimationFrame(() => (trace.paintAt = nowMs()));
  }

  function fromHost(message: BvHostMessage, messageAt: number): void {
    if (message.type === 'screen') {
      drawFrame(message.frame);
      if (message.trace) traced({ ...message.trace, messageAt, drawnAt: nowMs() });
    } else if (message.type === 'state') setState(message);
    else if (message.type === 'settings') {
      scale = message.scale;
      fit();
    }
  }

  window.addEventListener('message', (event: MessageEvent<BvHostMessage>) => fromHost(event.data, nowMs()));

  /**
   * Keys the guest screen keeps for the guest. Plain keys (F1, F5 and F10 too) are the guest's alone, so VS
   * Code must not see them. Ctrl, Alt and Meta, and any chord with them, are VS Code's (Ctrl+1, Ctrl+Shift+P)
   * and never reach the guest, unless the keyboard is grabbed: then every key is the guest's, as in a VM
   * window that grabs the keyboard, until Ctrl+Alt+G, the toolbar button or a click elsewhere lets go.
   */
  let grabbed = false;
  const COMMAND_KEYS = new Set([
    'ControlLeft',
    'ControlRight',
    'AltLeft',
    'AltRight',
    'MetaLeft',
    'MetaRight',
    'OSLeft',
    'OSRight',
  ]);

  function forGuest(event: KeyboardEvent): boolean {
    if (grabbed) return true;
    return !(event.ctrlKey || event.altKey || event.metaKey || COMMAND_KEYS.has(event.code));
  }

  function setGrab(on: boolean): void {
    if (grabbed && !on) releaseAll();
    grabbed = on;
    grabButton.setAttribute('aria-pressed', String(on));
    grabButton.textContent = on ? 'Release keys' : 'Grab keys';
    grabButton.title = on
      ? 'Every key goes to the guest, Ctrl and Alt chords too (Ctrl+Alt+G lets go)'
      : 'Send every key to the guest, Ctrl and Alt chords too; VS Code shortcuts stop working in the screen (Ctrl+Alt+G)';
    document.body.dataset.grabbed = String(on);
    hint.textContent = on ? 'All keys go to the guest: Ctrl+Alt+G lets go' : 'Click the screen to type into the guest';
    hint.hidden = !on && document.activeElement === canvas;
  }

  canvas.addEventListener('keydown', (event) => {
    if (event.code === 'KeyG' && event.ctrlKey && event.altKey) {
      event.preventDefault();
      event.stopPropagation();
      setGrab(!grabbed);
      return;
    }
    if (!forGuest(event)) return; // VS Code's shortcut: the workbench sees it, the guest does not
    // The guest gets the key, and the page does not scroll or move focus with Tab, Space or the arrows.
    event.preventDefault();
    event.stopPropagation();
    held.add(event.code);
    input({ type: 'key', code: event.code, down: true, key: event.key, shift: event.shiftKey, t: nowMs() });
  });
  canvas.addEventListener('keyup', (event) => {
    // A key goes up where it went down: the guest gets the break code of every make code it got.
    if (!held.delete(event.code)) return;
    event.preventDefault();
    event.stopPropagation();
    input({ type: 'key', code: event.code, down: false });
  });
  canvas.addEventListener('blur', () => {
    setGrab(false);
    releaseAll();
    hint.hidden = false;
  });
  canvas.addEventListener('focus', () => {
    hint.hidden = !grabbed;
  });
  canvas.addEventListener('mousedown', () => canvas.focus());

  /**
   * The guest's PS/2 mouse: moves over the focused screen, in guest pixels (the panel may scale the canvas),
   * and the buttons (DOM's buttons bits are PS/2's: left 1, right 2, middle 4). Moves are gathered into one
   * message per animation frame; a button change goes at once, after the moves before it.
   */
  let mouseDx = 0,
    mouseDy = 0,
    mouseButtons = 0,
    mouseFrame = 0;
  const sentMove = { x: 0, y: 0 };
  function sendMouse(): void {
    mouseFrame = 0;
    // Whole counts go; the fractions wait for the next move.
    const dx = Math.trunc(mouseDx - sentMove.x),
      dy = Math.trunc(mouseDy - sentMove.y);
    sentMove.x += dx;
    sentMove.y += dy;
    input({ type: 'mouse', dx, dy, buttons: mouseButtons });
  }
  canvas.addEventListener('mousemove', (event) => {
    if (document.activeElement !== canvas || session !== 'running') return;
    const box = canvas.getBoundingClientRect();
    mouseDx += (event.movementX * canvas.width) / Math.max(1, box.width);
    mouseDy += (event.movementY * canvas.height) / Math.max(1, box.height);
    if (Math.trunc(mouseDx - sentMove.x) || Math.trunc(mouseDy - sentMove.y))
      mouseFrame ||= requestAnimationFrame(sendMouse);
  });
  const buttonsChanged = (event: MouseEvent): void => {
    if (document.activeElement !== canvas || session !== 'running') return;
    if ((event.buttons & 7) === mouseButtons) return;
    mouseButtons = event.buttons & 7;
    if (mouseFrame) cancelAnimationFrame(mouseFrame);
    sendMouse();
  };
  canvas.addEventListener('mousedown', buttonsChanged);
  canvas.addEventListener('mouseup', buttonsChanged);
  canvas.addEventListener('contextmenu', (event) => event.preventDefault());

  pauseButton.addEventListener('click', () => post({ type: session === 'paused' ? 'resume' : 'pause' }));
  resetButton.addEventListener('click', () => post({ type: 'reset' }));
  screenshotButton.addEventListener('click', () => post({ type: 'screenshot' }));
  // The button takes the focus from the screen (which lets go of a grab): grab, then give the screen the keys.
  grabButton.addEventListener('mousedown', (event) => event.preventDefault());
  grabButton.addEventListener('click', () => {
    setGrab(!grabbed);
    canvas.focus();
  });
  new ResizeObserver(fit).observe(stage);

  post({ type: 'ready' });
  openDirect();
})();

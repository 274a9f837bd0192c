// The guest screen inside the webview: draws the frames the host sends, turns key presses into messages, and
// runs the toolbar. It knows nothing about DAP; the host does all the talking to the debug adapter.

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

  function decodeBase64(data: string): Uint8ClampedArray<ArrayBuffer> {
    const binary = atob(data);
    const bytes = new Uint8ClampedArray(new ArrayBuffer(binary.length));
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  /** Text modes arrive as text only from an adapter that does not render them: draw them plainly. */
  function drawText(lines: string[], cursor: BvScreenMessage['cursor']): void {
    const cellWidth = 9, cellHeight = 16;
    const columns = Math.max(1, ...lines.map((l) => l.length));
    canvas.width = columns * cellWidth;
    canvas.height = Math.max(1, lines.length) * cellHeight;
    context.fillStyle = '#000';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = '#aaa';
    context.font = `${cellHeight - 2}px monospace`;
    context.textBaseline = 'top';
    lines.forEach((line, row) => {
      for (let column = 0; column < line.length; column++) {
        context.fillText(line[column], column * cellWidth, row * cellHeight + 1);
      }
    });
    if (cursor?.visible) context.fillRect(cursor.column * cellWidth, cursor.row * cellHeight + 13, cellWidth, 2);
  }

  function drawFrame(message: BvScreenMessage): void {
    if (message.rgba && message.width > 0 && message.height > 0) {
      const pixels = decodeBase64(message.rgba);
      // VGA has no alpha: whatever the adapter leaves in the fourth byte, the screen is opaque.
      for (let i = 3; i < pixels.length; i += 4) pixels[i] = 255;
      if (pixels.length === message.width * message.height * 4) {
        if (canvas.width !== message.width || canvas.height !== message.height) {
          canvas.width = message.width;
          canvas.height = message.height;
        }
        context.putImageData(new ImageData(pixels, message.width, message.height), 0, 0);
      }
    } else if (message.lines?.length) {
      drawText(message.lines, message.cursor);
    } else {
      // A new session before its first frame: a dark screen, not the last session's picture (nor its size).
      canvas.width = message.width || 720;
      canvas.height = message.height || 400;
      context.fillStyle = '#000';
      context.fillRect(0, 0, canvas.width, canvas.height);
    }
    // The text is also kept as text: screen readers, copy, and tests read what the guest wrote.
    textLayer.textContent = message.lines ? message.lines.map((l) => l.trimEnd()).join('\n') : '';
    canvas.dataset.mode = String(message.mode);
    fit();
  }

  /** Scales the canvas to the panel. PC modes with 200 or 400 lines were shown 4:3, so their pixels are tall. */
  function fit(): void {
    const ratio = canvas.width / canvas.height;
    const aspect = ratio >= 1.55 && ratio <= 3.3 ? 4 / 3 : ratio;
    const room = stage.getBoundingClientRect();
    let width = room.width, height = width / aspect;
    if (height > room.height) {
      height = room.height;
      width = height * aspect;
    }
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
    for (const code of held) post({ type: 'key', code, down: false });
    held.clear();
  }

  window.addEventListener('message', (event: MessageEvent<BvHostMessage>) => {
    const message = event.data;
    if (message.type === 'screen') drawFrame(message);
    else if (message.type === 'state') setState(message);
  });

  /**
   * Keys the guest screen keeps for the guest. Plain keys (F1, F5 and F10 too) are the guest's alone, so VS
   * Code must not see them. Ctrl, Alt and Meta, and any chord with them, are VS Code's (Ctrl+1, Ctrl+Shift+P)
   * and never reach the guest, unless the keyboard is grabbed: then every key is the guest's, as in a VM
   * window that grabs the keyboard, until Ctrl+Alt+G, the toolbar button or a click elsewhere lets go.
   */
  let grabbed = false;
  const COMMAND_KEYS = new Set(['ControlLeft', 'ControlRight', 'AltLeft', 'AltRight', 'MetaLeft', 'MetaRight', 'OSLeft', 'OSRight']);

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
    post({ type: 'key', code: event.code, down: true });
  });
  canvas.addEventListener('keyup', (event) => {
    // A key goes up where it went down: the guest gets the break code of every make code it got.
    if (!held.delete(event.code)) return;
    event.preventDefault();
    event.stopPropagation();
    post({ type: 'key', code: event.code, down: false });
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
})();

// Driving the VS Code workbench in Chromium the way a person does: keys, clicks on what is visible, and
// reading what is on the page (the DOM), never the extension's internals.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.BOOTVISOR_E2E_CHROMIUM ?? '/usr/bin/chromium';

/**
 * A limit on waiting for a condition, stretched for a loaded machine: every wait here polls for what a person
 * would see and returns as soon as it is there, so a generous limit costs a passing run nothing and only
 * decides how long a real failure takes to report. BOOTVISOR_E2E_PATIENCE (default 3) multiplies them all.
 */
export function patient(ms: number): number {
  const factor = Number(process.env.BOOTVISOR_E2E_PATIENCE ?? 3);
  return ms * (Number.isFinite(factor) && factor >= 1 ? factor : 3);
}

export class Workbench {
  private constructor(
    private readonly browser: Browser,
    readonly page: Page,
    private readonly artifacts: string,
  ) {}

  static async open(url: string, folder: string, artifacts: string): Promise<Workbench> {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`no Chromium at ${CHROMIUM}: run scripts/test-e2e.sh, which installs Debian's chromium`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    // Playwright's own waits (a locator's click, waitFor without a limit) get the same patience.
    page.setDefaultTimeout(patient(30_000));
    fs.mkdirSync(artifacts, { recursive: true });
    const workbench = new Workbench(browser, page, artifacts);
    await page.goto(`${url}/?folder=${encodeURIComponent(folder)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: patient(60_000) });
    await page.locator('#workbench\\.parts\\.statusbar').waitFor({ timeout: patient(60_000) });
    return workbench;
  }

  async close(): Promise<void> {
    // Without runBeforeUnload the server keeps this window's extension host alive for a long time.
    await this.page.close({ runBeforeUnload: true }).catch(() => undefined);
    await this.browser.close().catch(() => undefined);
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.artifacts, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /**
   * The title bar's search box, which opens Quick Open as Ctrl+P does. Not the command center's first item:
   * in VS Code 1.100 that is the Back button (a CI run's screenshot caught the click going back instead).
   */
  private async clickCommandCenter(): Promise<void> {
    await this.page.locator('.command-center .search-label').first().click();
  }

  /** What has the keyboard: the element's tag and class (an iframe: a webview has it). */
  private async focusOwner(): Promise<string> {
    return this.page
      .evaluate<string>(
        `(() => { const e = document.activeElement;
          return e ? e.tagName.toLowerCase() + '.' + String(e.className).split(' ').slice(0, 3).join('.') : 'nothing'; })()`,
      )
      .catch((err: unknown) => `unknown (${String(err)})`);
  }

  /**
   * Opens the Quick Open box with `key` (Ctrl+P for files, F1 for commands) and returns its input once visible.
   * A focused webview (the memory view, the disk image view) can keep the keys, and take the focus back
   * right after the box opens, which closes it again: so the title bar's search box is clicked too, as a
   * person would, and the whole is tried again a few times, with a screenshot of each failed try.
   */
  async openQuickInput(key: string): Promise<Locator> {
    const input = this.page.locator('.quick-input-widget input');
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press(key);
      if (await shows(input, patient(3_000))) return input;
      await this.clickCommandCenter();
      if (await shows(input, patient(5_000))) return input;
      const shot = await this.screenshot(`quick-open-attempt-${attempt}`).catch(() => 'none');
      const owner = await this.focusOwner();
      if (attempt === 4) {
        throw new Error(`Quick Open did not open in ${attempt} tries (focus on ${owner}; last screen ${shot})`);
      }
      console.log(`      Quick Open did not open (try ${attempt}; focus on ${owner}); trying again`);
      // Out of whatever holds the keys: a dialog, a webview's frame (blurring the frame's element in the
      // workbench's document leaves the keys with the workbench).
      await this.dismissDialogs().catch(() => undefined);
      await this.page.evaluate('document.activeElement && document.activeElement.blur()').catch(() => undefined);
    }
  }

  /**
   * Right-clicks `target` and picks `item` from its context menu, as a person does. A menu that did not open
   * with the item (the row re-rendered under the pointer, or something closed the menu at once) is asked for
   * again, with a screenshot of each failed try.
   */
  async contextMenu(target: Locator, item: string): Promise<void> {
    const menuItem = this.page.locator('.context-view .action-label', { hasText: item }).first();
    for (let attempt = 1; ; attempt++) {
      await target.click({ button: 'right' });
      if (await shows(menuItem, patient(10_000))) break;
      const shot = await this.screenshot(`context-menu-attempt-${attempt}`).catch(() => 'none');
      const items = await this.page
        .locator('.context-view .action-label')
        .allInnerTexts()
        .catch(() => [] as string[]);
      if (attempt === 3) {
        throw new Error(
          `the context menu did not offer "${item}" in ${attempt} tries (it showed: ${items.join(' | ') || 'no menu'}; last screen ${shot})`,
        );
      }
      console.log(
        `      the context menu did not offer "${item}" (try ${attempt}; it showed: ${items.join(' | ') || 'no menu'}); trying again`,
      );
      await this.page.keyboard.press('Escape');
    }
    // VS Code's menus act on a click that follows the pointer into the item.
    await menuItem.hover();
    await this.page.waitForTimeout(200);
    await menuItem.click();
    await this.page
      .locator('.context-view .action-label')
      .first()
      .waitFor({ state: 'hidden', timeout: patient(10_000) });
  }

  /** Closes the editor tab titled `title` (a webview panel such as the memory view) by its close button. */
  async closeTab(title: string): Promise<void> {
    const tab = this.page.locator('.tab', { hasText: title }).first();
    if (!(await tab.isVisible().catch(() => false))) return;
    await tab.hover();
    await tab.locator('.tab-actions .action-label').first().click();
    await tab.waitFor({ state: 'detached', timeout: patient(10_000) });
  }

  /** Runs a command from the Command Palette by its title, as a user would. */
  async command(title: string): Promise<void> {
    const input = await this.openQuickInput('F1');
    // The search box opens Quick Open for files: the '>' makes it the Command Palette either way.
    await input.fill(`>${title}`);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    await row.waitFor({ timeout: patient(15_000) });
    await this.page.keyboard.press('Enter');
    await this.page
      .locator('.quick-input-widget')
      .waitFor({ state: 'hidden', timeout: patient(10_000) })
      .catch(() => undefined);
  }

  /** Opens a workspace file through Quick Open and waits for its editor tab to be the active one. */
  async openFile(relative: string): Promise<void> {
    const name = path.basename(relative);
    const tab = this.page.locator(`.tab.active[data-resource-name="${name}"]`);
    // Under load Quick Open can still be filling its list when Enter comes, and open nothing or another
    // file: wait for the file's own row to be the selected one, and try again (as a person would) if no tab
    // for it became active.
    for (let attempt = 1; ; attempt++) {
      // From the first editor group, so the file opens there and not beside the guest screen.
      await this.page.keyboard.press('Control+1');
      const input = await this.openQuickInput('Control+P');
      await input.fill(relative);
      // The first search of a session indexes the folder: slow on a loaded machine.
      const row = this.page.locator('.quick-input-list .monaco-list-row.focused', { hasText: name }).first();
      const listed = await shows(row, patient(45_000));
      if (listed) await this.page.keyboard.press('Enter');
      if (listed && (await shows(tab, patient(15_000)))) break;
      if (attempt === 3) throw new Error(`Quick Open did not open ${relative} in 3 attempts`);
      await this.page.keyboard.press('Escape');
    }
    // A disk image opens in Bootvisor's disk image view (a webview), other binaries in a placeholder.
    if (!/\.(img|bin)$/i.test(relative)) await this.editor().locator('.view-lines').waitFor();
  }

  /** The active text editor (the one with the active tab's group). */
  editor(): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor').first();
  }

  /** Focuses the source editor (the first editor group; the guest screen opens in the second). */
  async focusEditor(): Promise<void> {
    await this.page.keyboard.press('Control+1');
    await this.editor().locator('textarea, .native-edit-context').first().waitFor({ state: 'attached' });
    await this.page.waitForTimeout(200);
  }

  /** Moves the cursor to a line (1-based) with Go to Line, which also scrolls it into view. */
  async goToLine(line: number): Promise<void> {
    await this.focusEditor();
    await this.page.keyboard.press('Control+G');
    const input = this.page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  /** Clicks the gutter left of a line number, where a person clicks to set a breakpoint. */
  async clickGutter(line: number): Promise<void> {
    await this.goToLine(line);
    const number = this.editor()
      .locator('.margin .line-numbers', { hasText: new RegExp(`^\\s*${line}\\s*$`) })
      .first();
    const box = await number.boundingBox();
    if (!box) throw new Error(`line ${line} has no line number on screen`);
    const margin = await this.editor().locator('.margin[role="presentation"]').first().boundingBox();
    // The glyph margin is the strip between the editor's left edge and the line numbers.
    const x = margin ? margin.x + Math.max(4, (box.x - margin.x) / 2) : box.x - 8;
    await this.page.mouse.move(x, box.y + box.height / 2);
    await this.page.waitForTimeout(200);
    await this.page.mouse.click(x, box.y + box.height / 2);
  }

  /** Hovers the first element on a line whose text is `token`, and returns the hover's text once shown. */
  async hover(line: number, token: string): Promise<string> {
    await this.goToLine(line);
    const lineTop = await this.lineTop(line);
    const spans = this.editor().locator('.view-line span span', { hasText: token });
    const count = await spans.count();
    for (let i = 0; i < count; i++) {
      const box = await spans.nth(i).boundingBox();
      if (!box || Math.abs(box.y - lineTop) > 4) continue;
      await this.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const hover = this.page
        .locator('.monaco-hover:not(.hidden) .hover-contents, .monaco-hover:not(.hidden) .rendered-markdown')
        .first();
      await hover.waitFor({ timeout: patient(15_000) });
      await this.page.waitForTimeout(500);
      return (await this.page.locator('.monaco-hover:not(.hidden)').first().innerText()).trim();
    }
    throw new Error(`no "${token}" on line ${line}`);
  }

  private async lineTop(line: number): Promise<number> {
    const number = this.editor()
      .locator('.margin .line-numbers', { hasText: new RegExp(`^\\s*${line}\\s*$`) })
      .first();
    const box = await number.boundingBox();
    if (!box) throw new Error(`line ${line} is not on screen`);
    return box.y;
  }

  /** Throws with the text of a modal dialog if one is open: a failed launch shows one, and it blocks everything. */
  async failOnDialog(): Promise<void> {
    const dialog = this.page.locator('.monaco-dialog-box');
    if (await dialog.isVisible().catch(() => false)) {
      const text = (await dialog.innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
      throw new Error(`VS Code shows a dialog: ${text}`);
    }
  }

  /** Closes modal dialogs and notifications, so one step's failure does not block the next. */
  async dismissDialogs(): Promise<void> {
    for (
      let i = 0;
      i < 3 &&
      (await this.page
        .locator('.monaco-dialog-box')
        .isVisible()
        .catch(() => false));
      i++
    ) {
      await this.page.keyboard.press('Escape');
      await this.page.waitForTimeout(200);
    }
    await this.page.keyboard.press('Escape');
  }

  /** The frame holding the guest screen webview, once it exists. */
  async screenFrame(timeout = patient(60_000)): Promise<Frame> {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      await this.failOnDialog();
      for (const frame of this.page.frames()) {
        if (frame.isDetached()) continue;
        const found = await frame.$('#screen-text').catch(() => null);
        if (found) return frame;
      }
      await this.page.waitForTimeout(250);
    }
    throw new Error('the guest screen webview did not appear');
  }

  /** Waits until the guest screen's text contains `text`; returns the whole screen text. */
  async waitForScreenText(text: string | RegExp, timeout = patient(60_000)): Promise<string> {
    const deadline = Date.now() + timeout;
    let last = '';
    while (Date.now() < deadline) {
      const frame = await this.screenFrame(Math.max(1, deadline - Date.now()));
      last =
        (await frame
          .locator('#screen-text')
          .textContent()
          .catch(() => '')) ?? '';
      if (typeof text === 'string' ? last.includes(text) : text.test(last)) return last;
      await this.page.waitForTimeout(250);
    }
    throw new Error(`the guest screen never showed ${String(text)}; it shows:\n${last}`);
  }

  /** How many of the canvas's pixels are not black: proves the screen was drawn, not just the text layer. */
  async litPixels(): Promise<number> {
    const frame = await this.screenFrame();
    // A string, because this file is compiled without the DOM's types; it runs inside the webview.
    return frame.evaluate<number>(`(() => {
      const canvas = document.getElementById('screen');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let lit = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] > 0) lit++;
      return lit;
    })()`);
  }

  /**
   * Key press to changed pixels, as a person sees it: for each key, the time from its keydown in the guest
   * screen's page to the first animation frame at which the canvas differs from the one on screen at the
   * keydown (that frame presents the change). "Differs" is a comparison of every pixel read back from the
   * canvas; it is made at each animation frame after something was drawn into the canvas (its 2D context's
   * drawing calls are counted) or its size changed, not at every frame, and the picture before the key is read
   * just before the key is pressed, not in its keydown: reading back and comparing the whole
   * canvas costs 10 ms of the page's main thread a frame on a loaded machine (48 ms at p95, load 9.6), and that
   * thread is the one that receives the frame and draws it (in code-server the webview shares the workbench's
   * renderer). The test waits for each key inside the page (one evaluate that resolves when the change is
   * seen) rather than polling it from here every few milliseconds through CDP, for the same reason. Also
   * returns, per key, its keydown and the frame that showed it in the page's clock (common/key-trace.ts's
   * stamps), the intervals between the animation frames seen while waiting, and the main thread's long tasks
   * (over 50 ms, Long Tasks API) during the keys, by the context they ran in.
   */
  async keyLatencies(
    keys: string[],
    timeoutPerKey = patient(10_000),
  ): Promise<{
    latencies: number[];
    stamps: { keydownAt: number; seenAt: number }[];
    frameIntervals: number[];
    longTasks: { name: string; duration: number }[];
  }> {
    const frame = await this.screenFrame();
    // Strings, because this file is compiled without the DOM's types; they run inside the webview.
    await frame.evaluate(`(() => {
      const canvas = document.getElementById('screen');
      const context = canvas.getContext('2d');
      const picture = () => { const d = context.getImageData(0, 0, canvas.width, canvas.height).data; return [canvas.width, canvas.height, d]; };
      const same = (a, b) => { if (a[0] !== b[0] || a[1] !== b[1]) return false; const x = new Uint32Array(a[2].buffer), y = new Uint32Array(b[2].buffer); for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false; return true; };
      const state = window.__bvLatency = { done: [], stamps: [], frames: [], longTasks: [], pending: undefined, waiter: undefined, draws: 0 };
      const proto = CanvasRenderingContext2D.prototype;
      for (const name of ['putImageData', 'drawImage', 'fillRect', 'clearRect', 'fillText', 'strokeText', 'fill', 'stroke']) {
        const original = proto[name];
        proto[name] = function (...args) { if (this.canvas === canvas) state.draws++; return original.apply(this, args); };
      }
      try {
        new PerformanceObserver((list) => { for (const e of list.getEntries()) state.longTasks.push({ name: e.name, duration: e.duration }); }).observe({ type: 'longtask' });
      } catch {}
      window.__bvLatencyWait = (count, timeout) => new Promise((resolve) => {
        if (state.done.length >= count) return resolve(true);
        const timer = setTimeout(() => { state.waiter = undefined; resolve(false); }, timeout);
        state.waiter = () => { if (state.done.length >= count) { clearTimeout(timer); state.waiter = undefined; resolve(true); } };
      });
      // The picture before a key is taken before the key is pressed (the screen is still between keys), so the
      // read-back does not delay the view's own keydown handler, which runs after this one.
      window.__bvLatencyArm = () => { state.armed = { before: picture(), draws: state.draws }; };
      window.addEventListener('keydown', () => {
        if (state.pending) return;
        const t0 = performance.now();
        let armed = state.armed;
        state.armed = undefined;
        // Drawn since it was armed (nothing should be): the picture at the keydown, then.
        if (!armed || armed.draws !== state.draws) armed = { before: picture(), draws: state.draws };
        state.pending = { t0, before: armed.before, draws: armed.draws, last: undefined };
        const look = () => {
          const now = performance.now();
          const pending = state.pending;
          if (pending.last !== undefined) state.frames.push(now - pending.last);
          pending.last = now;
          const touched = pending.draws !== state.draws || canvas.width !== pending.before[0] || canvas.height !== pending.before[1];
          pending.draws = state.draws;
          if (touched && !same(pending.before, picture())) {
            state.done.push(now - pending.t0);
            state.stamps.push({ keydownAt: performance.timeOrigin + pending.t0, seenAt: performance.timeOrigin + now });
            state.pending = undefined;
            if (state.waiter) state.waiter();
            return;
          }
          requestAnimationFrame(look);
        };
        requestAnimationFrame(look);
      }, true);
    })()`);
    for (let i = 0; i < keys.length; i++) {
      await frame.evaluate('window.__bvLatencyArm()');
      await this.page.keyboard.press(keys[i]);
      if (!(await frame.evaluate<boolean>(`window.__bvLatencyWait(${i + 1}, ${timeoutPerKey})`)))
        throw new Error(`key ${keys[i]} (number ${i + 1}) changed no pixel within ${timeoutPerKey} ms`);
    }
    return frame.evaluate(
      '(s => ({ latencies: s.done, stamps: s.stamps, frameIntervals: s.frames, longTasks: s.longTasks }))(window.__bvLatency)',
    );
  }

  /** Rows of the Problems panel (opened with Ctrl+Shift+M), as text. */
  async problems(): Promise<string[]> {
    const panel = this.page.locator('.markers-panel');
    // The key toggles the panel: press it only when the panel is not already showing.
    if (!(await panel.isVisible().catch(() => false))) await this.page.keyboard.press('Control+Shift+M');
    await panel.waitFor({ timeout: patient(15_000) });
    return panel.locator('.monaco-list-row').allInnerTexts();
  }

  /** Rows of the Variables view, as `name = value` or `name: value` text. */
  async variables(): Promise<string[]> {
    const view = this.page.locator('.debug-variables');
    await view.waitFor({ timeout: patient(30_000) });
    return view.locator('.monaco-list-row').allInnerTexts();
  }

  /** The guest screen's toolbar line (backend and speed, or "paused: why"). */
  async screenStatus(): Promise<string> {
    const frame = await this.screenFrame();
    return ((await frame.locator('#detail').textContent()) ?? '').trim();
  }

  /** What the integrated terminal shows (it renders to the DOM here: there is no GPU). */
  async terminalText(): Promise<string> {
    return (
      (await this.page
        .locator('.terminal-wrapper.active .xterm-rows, .xterm-rows')
        .first()
        .innerText()
        .catch(() => '')) ?? ''
    );
  }

  /** The text of the status bar item whose accessible label mentions `label`. */
  async statusBarItem(label: string): Promise<string> {
    const item = this.page.locator(`#workbench\\.parts\\.statusbar .statusbar-item[aria-label*="${label}"]`).first();
    await item.waitFor({ timeout: patient(15_000) });
    return (await item.innerText()).trim();
  }

  /** Waits until no debug session runs (its toolbar is gone). */
  async waitForNoSession(timeout = patient(30_000)): Promise<void> {
    await this.page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout });
  }

  /** Stops the debug session if one runs. */
  async stopDebugging(): Promise<void> {
    if (await this.page.locator('.debug-toolbar').isVisible()) {
      await this.page.keyboard.press('Shift+F5');
      await this.waitForNoSession();
    }
  }
}

/** Whether `target` is visible within `ms`: a try that may come to nothing, where waitFor would throw. */
export function shows(target: Locator, ms: number): Promise<boolean> {
  return target.waitFor({ state: 'visible', timeout: ms }).then(
    () => true,
    () => false,
  );
}

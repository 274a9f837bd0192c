// The screen's way to the client: frames (contract B) over DAP, text as cells and graphics as palette indices
// of the rectangle that changed, rebuilt by the client (common/screen-wire.ts) and drawn by the one renderer.
// What the client draws from the changes must be, pixel for pixel, what a whole frame gives.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ScreenRenderer, renderFrame } from '../../common/screen-render';
import { ScreenState, type ScreenFrameBody } from '../../common/screen-wire';
import type { ScreenFrameEventBody } from '../../common/dap-protocol';
import { PROGRAMS, REPO } from './nasm-fixture';

const ADAPTER = path.join(REPO, 'out/debug-adapter/main.js');
const ECHO = path.join(REPO, 'examples/echo/echo.asm');
const PLOT = path.join(PROGRAMS, 'plot.asm');

describe('debug adapter: screen frames', function () {
  this.timeout(60000);
  let dc: DebugClient;
  let cwd: string;

  beforeEach(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-dap-frames-'));
    dc = new DebugClient('node', ADAPTER, 'bootvisor', { cwd }, true);
    await dc.start();
  });

  afterEach(async () => {
    await dc.stop().catch(() => undefined);
    fs.rmSync(cwd, { recursive: true, force: true });
  });

  async function launch(program: string): Promise<void> {
    await dc.initializeRequest({
      adapterID: 'bootvisor',
      linesStartAt1: true,
      columnsStartAt1: true,
      pathFormat: 'path',
    });
    const configured = dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest());
    await Promise.all([
      dc.launchRequest({ program, cwd, serial: 'none' } as DebugProtocol.LaunchRequestArguments),
      configured,
    ]);
  }

  async function frame(sinceGeneration?: number): Promise<{ body: ScreenFrameBody; bytes: number }> {
    const r = await dc.customRequest('bootvisor/screenFrame', { sinceGeneration });
    return { body: r.body as ScreenFrameBody, bytes: JSON.stringify(r.body).length };
  }

  /** Polls until `ok` holds for a frame (since `since`, or whole). */
  async function frameUntil(
    ok: (f: ScreenFrameBody) => boolean,
    since?: number,
  ): Promise<{ body: ScreenFrameBody; bytes: number }> {
    for (let i = 0; i < 400; i++) {
      const f = await frame(since);
      if (ok(f.body)) return f;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.fail('the screen never became what the test waits for');
  }

  /** The client's way: apply each frame, render what changed; then the same as a fresh whole frame. */
  async function sameAsWhole(state: ScreenState, renderer: ScreenRenderer, change: ScreenFrameBody): Promise<void> {
    const applied = state.apply(change);
    assert.ok(applied, 'the change applies to the screen held');
    const picture = renderer.render(applied!);
    const fresh = new ScreenState().apply((await frame()).body)!;
    const whole = renderFrame(fresh);
    assert.strictEqual(picture.width, whole.width);
    assert.strictEqual(picture.height, whole.height);
    assert.ok(
      Buffer.from(picture.rgba).equals(Buffer.from(whole.rgba)),
      'drawn from the changes, the picture differs from a whole frame',
    );
  }

  it('sends a text screen as its cells (a few KB), then only what changed', async () => {
    await launch(ECHO);
    const first = await frameUntil((f) => (f.lines ?? []).some((l) => l.includes('Type something:')));
    const body = first.body;
    assert.strictEqual(body.kind, 'text');
    assert.ok(body.font && body.palette && body.cells, 'a whole frame has the font, the palette and the cells');
    assert.strictEqual(Buffer.from(body.cells!, 'base64').length, (body.columns ?? 0) * (body.rows ?? 0) * 2);
    console.log(
      `      whole 80x25 text frame: ${first.bytes} bytes of JSON (an RGBA image: ${body.width * body.height * 4} bytes before base64)`,
    );
    const state = new ScreenState();
    const renderer = new ScreenRenderer();
    renderer.render(state.apply(body)!);

    await dc.customRequest('bootvisor/keys', { text: 'x' });
    const change = await frameUntil(
      (f) => (f.lines ?? []).some((l) => l.includes('Type something: x')),
      body.generation,
    );
    assert.strictEqual(change.body.font, undefined, 'the font did not change, so it does not travel');
    assert.strictEqual(change.body.palette, undefined, 'nor the palette');
    assert.ok(change.bytes < 12_000, `a change in text mode is small: ${change.bytes} bytes`);
    console.log(`      one key echoed: ${change.bytes} bytes of JSON`);
    await sameAsWhole(state, renderer, change.body);
  });

  it('sends graphics as the palette indices of the rectangle that changed', async () => {
    await launch(PLOT);
    const first = await frameUntil(
      (f) => f.kind === 'graphics' && f.mode === 0x13 && Buffer.from(f.pixels ?? '', 'base64').every((p) => p === 1),
    );
    const body = first.body;
    assert.strictEqual(body.width, 320);
    assert.strictEqual(body.height, 200);
    assert.strictEqual(Buffer.from(body.pixels!, 'base64').length, 320 * 200, 'one byte per pixel, not four');
    assert.strictEqual(Buffer.from(body.palette!, 'base64').length, 256 * 3);
    const state = new ScreenState();
    const renderer = new ScreenRenderer();
    renderer.render(state.apply(body)!);

    await dc.customRequest('bootvisor/keys', { text: 'A' });
    const change = await frameUntil((f) => !!f.dirty && f.dirty.width > 0, body.generation);
    const d = change.body.dirty!;
    assert.ok(
      d.x <= 65 && 65 < d.x + d.width && d.y <= 100 && 100 < d.y + d.height,
      `the dirty rectangle ${JSON.stringify(d)} holds the pixel plotted at (65, 100)`,
    );
    assert.ok(
      d.width * d.height < (320 * 200) / 4,
      `a one-pixel change sends a small rectangle, not the screen: ${JSON.stringify(d)}`,
    );
    assert.strictEqual(Buffer.from(change.body.pixels!, 'base64').length, d.width * d.height);
    assert.strictEqual(change.body.palette, undefined, 'the palette did not change, so it does not travel');
    console.log(`      one pixel plotted: a ${d.width}x${d.height} rectangle, ${change.bytes} bytes of JSON`);
    await sameAsWhole(state, renderer, change.body);
  });

  it('pushes each change as a frame event, built on the frame sent before: applied in order, they draw what a whole frame draws', async () => {
    const pushed: ScreenFrameEventBody[] = [];
    dc.on('bootvisor/frame', (e: DebugProtocol.Event) => pushed.push(e.body as ScreenFrameEventBody));
    await launch(PLOT);
    const state = new ScreenState();
    const renderer = new ScreenRenderer();
    renderer.render(
      state.apply((await dc.customRequest('bootvisor/screenFrame', { push: true })).body as ScreenFrameBody)!,
    );
    let held = 0;
    let drawn: ReturnType<ScreenRenderer['render']> | undefined;
    const drain = (): void => {
      for (; held < pushed.length; held++) {
        const { baseGeneration, ...body } = pushed[held];
        assert.strictEqual(baseGeneration, state.generation, `frame ${held} builds on the one before it`);
        const applied = state.apply(body);
        assert.ok(applied, `frame ${held} applies`);
        drawn = renderer.render(applied!);
      }
    };
    const until = async (what: string, ok: () => boolean): Promise<void> => {
      for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(ok(), what);
    };
    // No request: the frames come by themselves as the guest draws.
    await until(
      'mode 13h filled with colour 1, pushed',
      () => (drain(), state.frame?.kind === 'graphics' && !!state.frame.pixels?.every((p) => p === 1)),
    );
    const before = pushed.length;
    await dc.customRequest('bootvisor/keys', { text: 'A' });
    await until('the plotted pixel, pushed', () => (drain(), state.frame?.pixels?.[100 * 320 + 65] !== 1));
    const change = pushed.slice(before).find((f) => f.dirty && f.dirty.width > 0);
    assert.ok(
      change && change.dirty!.width * change.dirty!.height < (320 * 200) / 4,
      `a key's change travels as a small rectangle: ${JSON.stringify(change?.dirty)}`,
    );
    const whole = renderFrame(new ScreenState().apply((await frame()).body)!);
    assert.ok(
      drawn && Buffer.from(drawn.rgba).equals(Buffer.from(whole.rgba)),
      'drawn from the pushed frames, the picture differs from a whole frame',
    );
  });
});

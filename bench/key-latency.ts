// Key press to screen frame through the debug adapter, as the guest screen view sees it: a real DAP client
// (DebugClient over stdio, as VS Code talks to the adapter) launches examples/echo/echo.asm, sends each key
// with the adapter's custom keys request and waits for the frame that shows it echoed. Two ways, measured in
// the same run: the frame pushed as an event (bootvisor/frame), and the request/response the view used
// before (bootvisor/screenChanged, then a bootvisor/screenFrame request). Target (issue 10): p95 under 50 ms.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import {
  KEYS_REQUEST,
  SCREEN_CHANGED_EVENT,
  SCREEN_FRAME_EVENT,
  SCREEN_FRAME_REQUEST,
  type ScreenFrameEventBody,
} from '../common/dap-protocol';
import { loadAverage } from './cpu';

const ROOT = path.resolve(__dirname, '..', '..');
const ADAPTER = path.join(ROOT, 'out', 'debug-adapter', 'main.js');
const SOURCE = path.join(ROOT, 'examples', 'echo', 'echo.asm');
const KEYS = Number(process.env.BOOTVISOR_BENCH_KEYS) || 40;
const WAIT_MS = 10000;

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** Resolves once `test` holds (now, or after a frame `subscribe` reports), or rejects after WAIT_MS. */
function waitFor(test: () => boolean, subscribe: (check: () => void) => () => void): Promise<void> {
  if (test()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no frame showed the key within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const stop = subscribe(() => {
      if (!test()) return;
      clearTimeout(timer);
      stop();
      resolve();
    });
  });
}

/** Milliseconds from each key request to the frame showing it, for `keys` keys; and the keys no frame showed within WAIT_MS. */
export async function keyLatencies(way: 'event' | 'request', keys = KEYS): Promise<{ ms: number[]; missed: number }> {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'bv-bench-keys-'));
  const dc = new DebugClient('node', ADAPTER, 'bootvisor', { cwd });
  await dc.start();
  try {
    await dc.initializeRequest({ adapterID: 'bootvisor', pathFormat: 'path', linesStartAt1: true });
    await Promise.all([
      dc.launchRequest({ program: SOURCE, cwd } as DebugProtocol.LaunchRequestArguments),
      dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()),
    ]);
    let screen = '';
    const listeners = new Set<() => void>();
    const seen = (lines: string[] | undefined): void => {
      if (!lines) return;
      screen = lines.join('\n');
      for (const l of [...listeners]) l();
    };
    if (way === 'event') {
      dc.on(SCREEN_FRAME_EVENT, (e: DebugProtocol.Event) => seen((e.body as ScreenFrameEventBody).lines));
      seen(((await dc.customRequest(SCREEN_FRAME_REQUEST, { push: true })).body as { lines?: string[] }).lines);
    } else {
      dc.on(SCREEN_CHANGED_EVENT, () => {
        void dc.customRequest(SCREEN_FRAME_REQUEST, {}).then(
          (r) => seen((r.body as { lines?: string[] }).lines),
          () => undefined,
        );
      });
    }
    const subscribe = (check: () => void): (() => void) => {
      listeners.add(check);
      return () => listeners.delete(check);
    };
    await waitFor(() => screen.length > 0, subscribe);
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    let typed = '';
    const out: number[] = [];
    let missed = 0;
    for (let i = 0; i < keys; i++) {
      const ch = letters[i % letters.length];
      typed += ch;
      const want = typed.slice(-20);
      const t0 = now();
      await dc.customRequest(KEYS_REQUEST, { text: ch });
      try {
        await waitFor(() => screen.includes(want), subscribe);
        out.push(now() - t0);
      } catch {
        // Counted, and the screen fetched so the next key is measured from a known state.
        missed++;
        seen(((await dc.customRequest(SCREEN_FRAME_REQUEST, {})).body as { lines?: string[] }).lines);
      }
      if (typed.length >= 60) {
        // A new line keeps the echoed text on one row (echo wraps at 80 columns).
        await dc.customRequest(KEYS_REQUEST, { text: '\n' });
        typed = '';
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return { ms: out, missed };
  } finally {
    await dc.stop().catch(() => undefined);
    fs.rmSync(cwd, { recursive: true, force: true });
  }
}

export async function keyLatencyBench(): Promise<void> {
  if (!fs.existsSync(ADAPTER)) throw new Error(`${ADAPTER} is missing: build with npx tsc -b`);
  const load = loadAverage();
  const rows: [string, { ms: number[]; missed: number }][] = [
    ['frame pushed as an event (bootvisor/frame)', await keyLatencies('event')],
    ['screenChanged, then a screenFrame request', await keyLatencies('request')],
  ];
  console.log(
    `key press to the frame showing it, through the debug adapter (${KEYS} keys each; ${load} before, ${loadAverage()} after):`,
  );
  for (const [label, { ms, missed }] of rows) {
    const lost = missed ? `   ${missed} key(s) shown by no frame within ${WAIT_MS / 1000} s` : '';
    console.log(
      `  ${label.padEnd(46)} p50 ${percentile(ms, 50).toFixed(1)} ms   p95 ${percentile(ms, 95).toFixed(1)} ms   max ${Math.max(...ms).toFixed(1)} ms${lost}`,
    );
  }
  console.log("  (target: p95 under 50 ms; the webview adds VS Code's message passing, measured by the e2e suite)");
}

if (require.main === module) {
  keyLatencyBench().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}

// The little language of `--keys`: text is typed key by key; `{name}` presses and releases a named key,
// `{name down}` / `{name up}` hold and release it (`{ctrl down}c{ctrl up}`); `{wait 500ms}` waits that much
// guest time (or until the guest waits for a key); `{after "login:"}` waits until the text is on the screen
// or has come out of COM1. `{lbrace}` types a `{`. The PS/2 mouse: `{mouse 10,-5}` moves it 10 counts right
// and 5 up, `{mouse 0,0,l}` moves it (here not at all) with the left button held from then on (`l`, `r`, `m`
// or several, `-` for none); `{click}`, `{click right}`, `{click middle}` press and release a button.
import { CliError, ExitStatus } from './exit-codes';

export type KeyStep =
  | { kind: 'text'; text: string }
  | { kind: 'codes'; codes: number[] }
  | { kind: 'wait'; ns: number }
  | { kind: 'after'; text: string }
  /** buttons: the buttons held from this step on (bit 0 left, 1 right, 2 middle); unset keeps them. */
  | { kind: 'mouse'; dx: number; dy: number; buttons?: number }
  /** a button pressed and released where the mouse is */
  | { kind: 'click'; button: number };

/** Set-1 make codes of the named keys; 0xE0-prefixed ones are marked extended. */
const NAMED: Readonly<Record<string, { code: number; extended?: boolean }>> = {
  esc: { code: 0x01 },
  escape: { code: 0x01 },
  enter: { code: 0x1c },
  tab: { code: 0x0f },
  backspace: { code: 0x0e },
  bs: { code: 0x0e },
  space: { code: 0x39 },
  up: { code: 0x48, extended: true },
  down: { code: 0x50, extended: true },
  left: { code: 0x4b, extended: true },
  right: { code: 0x4d, extended: true },
  home: { code: 0x47, extended: true },
  end: { code: 0x4f, extended: true },
  pgup: { code: 0x49, extended: true },
  pgdn: { code: 0x51, extended: true },
  insert: { code: 0x52, extended: true },
  ins: { code: 0x52, extended: true },
  delete: { code: 0x53, extended: true },
  del: { code: 0x53, extended: true },
  ctrl: { code: 0x1d },
  lctrl: { code: 0x1d },
  rctrl: { code: 0x1d, extended: true },
  alt: { code: 0x38 },
  lalt: { code: 0x38 },
  ralt: { code: 0x38, extended: true },
  shift: { code: 0x2a },
  lshift: { code: 0x2a },
  rshift: { code: 0x36 },
  capslock: { code: 0x3a },
  numlock: { code: 0x45 },
  scrolllock: { code: 0x46 },
  f1: { code: 0x3b },
  f2: { code: 0x3c },
  f3: { code: 0x3d },
  f4: { code: 0x3e },
  f5: { code: 0x3f },
  f6: { code: 0x40 },
  f7: { code: 0x41 },
  f8: { code: 0x42 },
  f9: { code: 0x43 },
  f10: { code: 0x44 },
  f11: { code: 0x57 },
  f12: { code: 0x58 },
};

/** Mouse buttons by their letter, as PS/2 packets number them. */
const BUTTONS = new Map([
  ['l', 1],
  ['r', 2],
  ['m', 4],
]);

const usage = (message: string): CliError =>
  new CliError(ExitStatus.usage, `--keys: ${message}\nRun \`bootvisor run --help\` for the options.`);

function keyCodes(name: string, action: 'press' | 'down' | 'up'): number[] {
  const k = NAMED[name];
  if (!k) throw usage(`unknown key {${name}}; known: ${Object.keys(NAMED).join(', ')}`);
  const make = k.extended ? [0xe0, k.code] : [k.code];
  const brk = k.extended ? [0xe0, k.code | 0x80] : [k.code | 0x80];
  return action === 'down' ? make : action === 'up' ? brk : [...make, ...brk];
}

/** Parses decoded --keys text into steps; a CliError (status 64) names what is wrong. */
export function parseKeyScript(text: string): KeyStep[] {
  const steps: KeyStep[] = [];
  let plain = '';
  const flush = (): void => {
    for (const ch of plain) steps.push({ kind: 'text', text: ch });
    plain = '';
  };
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '{') {
      plain += text[i];
      continue;
    }
    const close = text.indexOf('}', i);
    if (close < 0) throw usage(`unclosed { at position ${i} (type a brace with {lbrace})`);
    const inner = text.slice(i + 1, close).trim();
    i = close;
    flush();
    const after = /^after\s+"(.*)"$/.exec(inner);
    if (after) {
      if (after[1] === '') throw usage('{after ""} needs some text to wait for');
      steps.push({ kind: 'after', text: after[1] });
      continue;
    }
    const wait = /^wait\s+(\d+(?:\.\d+)?)\s*(ms|s)$/.exec(inner);
    if (wait) {
      steps.push({ kind: 'wait', ns: Math.round(Number(wait[1]) * (wait[2] === 's' ? 1e9 : 1e6)) });
      continue;
    }
    if (/^wait\b/.test(inner)) throw usage(`{${inner}}: write the wait as {wait 500ms} or {wait 2s}`);
    const mouse = /^mouse\s+(-?\d+)\s*,\s*(-?\d+)(?:\s*,\s*([lrm]+|-))?$/i.exec(inner);
    if (mouse) {
      const dx = Number(mouse[1]),
        dy = Number(mouse[2]);
      if (Math.abs(dx) > 32767 || Math.abs(dy) > 32767) throw usage(`{${inner}}: a move is at most 32767 counts`);
      const held = mouse[3]?.toLowerCase();
      const buttons =
        held === undefined ? undefined : [...BUTTONS].reduce((b, [c, bit]) => (held.includes(c) ? b | bit : b), 0);
      steps.push({ kind: 'mouse', dx, dy, buttons });
      continue;
    }
    if (/^mouse\b/.test(inner))
      throw usage(`{${inner}}: write a mouse move as {mouse DX,DY} or {mouse DX,DY,BUTTONS} (l, r, m or -)`);
    const click = /^click(?:\s+(left|right|middle))?$/i.exec(inner);
    if (click) {
      steps.push({ kind: 'click', button: BUTTONS.get((click[1] ?? 'left')[0].toLowerCase())! });
      continue;
    }
    const words = inner.toLowerCase().split(/\s+/);
    if (words[0] === 'lbrace' && words.length === 1) {
      steps.push({ kind: 'text', text: '{' });
      continue;
    }
    if (words.length > 2 || (words.length === 2 && words[1] !== 'down' && words[1] !== 'up')) {
      throw usage(`{${inner}}: a key is {name}, {name down} or {name up}`);
    }
    steps.push({ kind: 'codes', codes: keyCodes(words[0], (words[1] as 'down' | 'up' | undefined) ?? 'press') });
  }
  flush();
  return steps;
}

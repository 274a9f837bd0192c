// The "characters" keyboard layout (setting bootvisor.keyboardLayout): a printable key is sent as the key of
// a US keyboard that types the same character, Shift pressed or let go around it as that key needs, so a
// host with another layout (AZERTY, QWERTZ, AltGr symbols) types what its keys say in a guest whose keymap is
// the BIOS's US one. Everything else stays physical (scancodes.ts).
import { scanCodesFor } from './scancodes';

const ROWS: [string, string, string[]][] = [
  [
    '`1234567890-=',
    '~!@#$%^&*()_+',
    ['Backquote', ...'1234567890'.split('').map((d) => `Digit${d}`), 'Minus', 'Equal'],
  ],
  [
    'qwertyuiop[]\\',
    'QWERTYUIOP{}|',
    [...'QWERTYUIOP'.split('').map((k) => `Key${k}`), 'BracketLeft', 'BracketRight', 'Backslash'],
  ],
  ["asdfghjkl;'", 'ASDFGHJKL:"', [...'ASDFGHJKL'.split('').map((k) => `Key${k}`), 'Semicolon', 'Quote']],
  ['zxcvbnm,./', 'ZXCVBNM<>?', [...'ZXCVBNM'.split('').map((k) => `Key${k}`), 'Comma', 'Period', 'Slash']],
  [' ', ' ', ['Space']],
];

const US = new Map<string, { code: string; shift: boolean }>();
for (const [plain, shifted, codes] of ROWS) {
  codes.forEach((code, i) => {
    US.set(plain[i], { code, shift: false });
    if (!US.has(shifted[i])) US.set(shifted[i], { code, shift: true });
  });
}

const SHIFT_MAKE = 0x2a;
const SHIFT_BREAK = 0xaa;

/**
 * The scan codes that type `character` on a US keyboard (press and release), given whether the user holds
 * Shift (its make code already reached the guest); undefined for a character no US key types.
 */
export function typeCharacter(character: string, shiftHeld: boolean): number[] | undefined {
  const key = US.get(character);
  if (!key) return undefined;
  const press = [...scanCodesFor(key.code, true)!, ...scanCodesFor(key.code, false)!];
  if (key.shift === shiftHeld) return press;
  // Shift the other way round for this one key, then as the user holds it again.
  return key.shift ? [SHIFT_MAKE, ...press, SHIFT_BREAK] : [SHIFT_BREAK, ...press, SHIFT_MAKE];
}

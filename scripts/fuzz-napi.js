#!/usr/bin/env node
// Fuzzes the native addon's surface (the N-API binding under common/machine.ts): random methods with random
// arguments of random types (numbers at the edges, NaN, negative, huge, strings, arrays, typed arrays, objects,
// undefined), including calls while a run is in flight and after dispose. A thrown TypeError/RangeError/Error
// is a fine answer; a crash, an abort, a non-Error throw or a hang is not (the process dies or the outer
// timeout fires). Usage: node scripts/fuzz-napi.js [SECONDS] [SEED]. Prints calls, calls/s and the seed.
'use strict';
const path = require('path');
const fs = require('fs');

const seconds = Number(process.argv[2] || 10);
let seed = Number(process.argv[3] || Date.now() % 2147483647) >>> 0 || 1;
const firstSeed = seed;
function rand() {
  // xorshift32: reproducible from the printed seed
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const int = (n) => Math.floor(rand() * n);

const { loadBinding } = require(path.join(__dirname, '..', 'out', 'common', 'binding.js'));
const { Machine } = loadBinding();
const hello = fs.readFileSync(path.join(__dirname, '..', 'examples', 'hello', 'hello.img'));

const NUMBERS = [
  0,
  1,
  -1,
  2,
  3,
  4,
  7,
  8,
  16,
  0x7c00,
  0xffff,
  0x10000,
  0xf0000,
  0xfffff,
  0x100000,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53,
  -(2 ** 31),
  1e300,
  -1e300,
  0.5,
  NaN,
  Infinity,
  -Infinity,
  Number.MAX_SAFE_INTEGER,
];
function value(depth = 0) {
  switch (int(depth > 1 ? 6 : 11)) {
    case 0:
    case 1:
    case 2:
      return pick(NUMBERS) + (rand() < 0.3 ? int(64) : 0);
    case 3:
      return undefined;
    case 4:
      return pick([
        '',
        'a',
        'virtual',
        'real',
        'software',
        'kvm',
        'auto',
        'read',
        'write',
        'access',
        'linear',
        'physical',
        '\u0000',
        'x'.repeat(int(5000)),
      ]);
    case 5:
      return rand() < 0.5;
    case 6:
      return null;
    case 7:
      return new Uint8Array(pick([0, 1, 2, 16, 512, 4096, 70000])).map(() => int(256));
    case 8:
      return Array.from({ length: int(6) }, () => value(depth + 1));
    case 9: {
      const o = {};
      for (const k of [
        'eax',
        'eip',
        'cs',
        'cr0',
        'eflags',
        'ss',
        'esp',
        'gdtr',
        'selector',
        'base',
        'limit',
        'attrib',
        'controlRegisters',
        'gdt',
        'modeSwitch',
        'interrupts',
        'vector',
        'ah',
        'irqLines',
        'ports',
        'first',
        'last',
      ])
        if (rand() < 0.3) o[k] = value(depth + 1);
      return o;
    }
    default:
      return () => 0;
  }
}

const METHODS = [
  'run',
  'pause',
  'step',
  'getRegisters',
  'setRegisters',
  'readMemory',
  'writeMemory',
  'translate',
  'addBreakpoint',
  'removeBreakpoint',
  'addWatchpoint',
  'removeWatchpoint',
  'setCatchExceptions',
  'setSystemBreaks',
  'history',
  'instructionCount',
  'virtualTimeNs',
  'snapshot',
  'restore',
  'dropSnapshot',
  'snapshotBytes',
  'snapshotCounts',
  'sendScanCodes',
  'typeText',
  'sendSerial',
  'screenText',
  'screenImage',
  'exitProfile',
  'portRead',
  'portWrite',
  'clockStep',
  'irqLevel',
];

function config() {
  const c = {
    image: rand() < 0.9 ? hello : value(),
    memoryMiB: rand() < 0.7 ? pick([1, 2, 4, 32]) : value(),
    backend: rand() < 0.8 ? 'software' : value(),
  };
  if (rand() < 0.3) c.bootDrive = value();
  if (rand() < 0.2) c.clock = value();
  if (rand() < 0.1) {
    delete c.image;
    c.imagePath = value();
  }
  return c;
}

function check(e) {
  if (!(e instanceof Error)) {
    console.error(`a non-Error was thrown: ${String(e)} (seed ${firstSeed})`);
    process.exit(2);
  }
}

async function main() {
  const deadline = Date.now() + seconds * 1000;
  let calls = 0;
  let machines = 0;
  while (Date.now() < deadline) {
    let m;
    try {
      m = new Machine(config(), () => undefined);
      machines++;
    } catch (e) {
      check(e);
      continue;
    }
    const pending = [];
    for (let i = 0; i < 200; i++) {
      const name = pick(METHODS);
      const args = name === 'run' ? [int(5000) + 1] : Array.from({ length: int(4) }, () => value());
      calls++;
      try {
        const r = m[name](...args);
        if (r && typeof r.then === 'function') pending.push(r.catch(check));
      } catch (e) {
        check(e);
      }
      if (pending.length && rand() < 0.05) await Promise.all(pending.splice(0));
    }
    try {
      m.pause();
    } catch (e) {
      check(e);
    }
    await Promise.all(pending);
    m.dispose();
    for (const name of ['step', 'getRegisters', 'readMemory', 'run']) {
      calls++;
      try {
        const r = m[name](0, 1);
        if (r && typeof r.then === 'function') await r.catch(check);
      } catch (e) {
        check(e);
      }
    }
  }
  console.log(
    `fuzz napi: ${calls} calls on ${machines} machines in ${seconds} s, ${Math.round(calls / seconds)} calls/s (seed ${firstSeed}); no crash, abort or non-Error throw`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

// The one exit-report builder and its severity table: every way a run can end and every run event, through
// the builder (what the CLI and the adapter write) and through the language server's reading of the report
// (what the Problems panel shows). The severities are written out here, row by row, as the decision they are.
import * as assert from 'assert';
import type { RunEvent, StopEvent } from '../../common/api';
import { EXIT_SEVERITY, type ExitKind, type ExitSeverity } from '../../common/exit-report';
import { buildExitReport, EventTally, instructionBehindStop } from '../../common/exit-report-builder';
import { exitFindings } from '../../server/exit-diagnostics';

const FILE = '/src/boot.asm';
const at = (linear: number) => ({ file: FILE, line: linear - 0x7c00 + 1 });
const stopAt = (reason: StopEvent['reason'], extra: Partial<StopEvent> = {}): StopEvent => ({
  reason,
  cs: 0,
  eip: 0x7c10,
  linear: 0x7c10,
  instructions: 42,
  ...extra,
});
const event = (kind: RunEvent['kind'], extra: Partial<RunEvent> = {}): RunEvent => ({
  kind,
  linear: 0x7c05,
  cs: 0,
  eip: 0x7c05,
  message: `${kind} here`,
  ...extra,
});
const chain = [
  { vector: 0, name: '#DE', cs: 0, eip: 0x7c10, linear: 0x7c10, bytes: [0xf7, 0xf1], reason: 'divide by zero' },
];

function report(stop: StopEvent, events: RunEvent[] = []) {
  return buildExitReport({
    image: '/src/boot.asm',
    sources: [{ file: FILE, sha256: '0'.repeat(64) }],
    locate: (linear) => (linear >= 0x7c00 && linear < 0x7e00 ? at(linear) : undefined),
    backend: 'software',
    stop,
    events: EventTally.of(events).list(),
    finishedAt: new Date(0),
  });
}

function findings(r: ReturnType<typeof report>) {
  return exitFindings(r, { resolve: (f) => f, lineText: () => undefined, changed: () => false });
}

describe('common: the exit-report builder and its severity table', () => {
  // [what happened, the stop, the events, the kind recorded, its severity]
  const rows: [string, StopEvent, RunEvent[], ExitKind, ExitSeverity][] = [
    [
      'a triple fault',
      stopAt('triple-fault', { exception: { vector: 0, name: '#DE', chain, explanation: '#DE -> shutdown' } }),
      [],
      'triple-fault',
      'error',
    ],
    [
      'an unhandled #GP',
      stopAt('exception', { exception: { vector: 13, name: '#GP', chain, explanation: 'no handler' } }),
      [],
      'exception',
      'error',
    ],
    [
      'an unhandled #UD',
      stopAt('exception', { exception: { vector: 6, name: '#UD', chain, explanation: 'bytes FF FF' } }),
      [],
      'invalid-opcode',
      'error',
    ],
    ['HLT with interrupts off', stopAt('hlt-cli'), [], 'hlt-cli', 'information'],
    ['a stop on a port nobody serves', stopAt('unhandled-port', { port: 0x378 }), [], 'unhandled-port', 'warning'],
    [
      'a port nobody serves (the run went on)',
      stopAt('instruction-limit'),
      [event('unhandled-port', { port: 0x378 })],
      'unhandled-port',
      'warning',
    ],
    [
      'memory with nothing behind it',
      stopAt('instruction-limit'),
      [event('unmapped-memory', { address: 0xfee00000 })],
      'unmapped-memory',
      'warning',
    ],
    [
      'the stack running into code',
      stopAt('instruction-limit'),
      [event('stack-overflow')],
      'stack-overflow',
      'warning',
    ],
    ['a failed BIOS disk call', stopAt('instruction-limit'), [event('disk-error')], 'disk-error', 'warning'],
  ];
  for (const [what, stop, events, kind, severity] of rows) {
    it(`${what}: ${kind}, ${severity}, in the report and in the Problems panel`, () => {
      const r = report(stop, events);
      assert.strictEqual(r.exits.length, 1, JSON.stringify(r.exits));
      const [record] = r.exits;
      assert.strictEqual(record.kind, kind);
      assert.strictEqual(record.severity, severity);
      assert.strictEqual(EXIT_SEVERITY[kind], severity);
      assert.ok(record.message.length > 0, 'the record says what happened');
      const shown = findings(r);
      assert.deepStrictEqual(
        shown.map((f) => [f.code, f.severity, f.line]),
        [[kind, severity, record.source!.line - 1]],
      );
    });
  }

  it('every kind has a row above (a new kind needs its severity decided here)', () => {
    assert.deepStrictEqual(new Set(rows.map((r) => r[3])), new Set(Object.keys(EXIT_SEVERITY)));
  });

  it('stops that are no exit (breakpoint, pause, guest exit, instruction budget) record nothing', () => {
    for (const reason of ['breakpoint', 'pause', 'guest-exit', 'instruction-limit', 'step', 'entry'] as const) {
      assert.deepStrictEqual(report(stopAt(reason)).exits, [], reason);
    }
  });

  it('merges events per kind and place, the stop first, and counts them', () => {
    const port = event('unhandled-port', { port: 0x378 });
    const r = report(stopAt('hlt-cli'), [
      port,
      event('unmapped-memory', { address: 1 }),
      port,
      event('unhandled-port', { port: 0x379 }),
      port,
    ]);
    assert.deepStrictEqual(
      r.exits.map((x) => [x.kind, x.port ?? x.address ?? null, x.count]),
      [
        ['hlt-cli', null, 1],
        ['unhandled-port', 0x378, 3],
        ['unmapped-memory', 1, 1],
        ['unhandled-port', 0x379, 1],
      ],
    );
  });

  it('places a HLT stop on the HLT, and an OUT stop on the OUT, not on the next line', () => {
    const listing = {
      entryAt: (a: number) =>
        a >= 0x7c0e && a < 0x7c10 ? { address: 0x7c0e, length: 2, text: 'out dx, ax' } : undefined,
    };
    const noMemory = () => undefined;
    assert.strictEqual(instructionBehindStop(stopAt('unhandled-port'), listing, noMemory), 0x7c0e);
    assert.strictEqual(
      instructionBehindStop(stopAt('hlt-cli'), undefined, (a) => (a === 0x7c0f ? 0xf4 : 0)),
      0x7c0f,
    );
    assert.strictEqual(instructionBehindStop(stopAt('hlt-cli'), undefined, noMemory), 0x7c10);
    assert.strictEqual(
      instructionBehindStop(stopAt('triple-fault'), listing, () => 0xf4),
      0x7c10,
    );
  });
});

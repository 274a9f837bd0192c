// The registers of a stopped guest, for the language server's hovers (bootvisor/debugState). Read through
// standard DAP (stack trace, scopes, variables) from the scopes the adapter shows in the Variables view, so
// the extension needs nothing from the adapter beyond what any DAP client gets.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { Registers, SegmentRegister } from '../common/api';
import { DEBUG_STATE_NOTIFICATION, type DebugStateParams } from '../common/lsp-protocol';
import type { GuestSession } from './guest_session';

interface Variable {
  name: string;
  value: string;
}

/** The first hex number in a value such as "0x00007C00" or "0x0010 (base 0x00000100, limit 0x0000FFFF)". */
function firstHex(value: string): number | undefined {
  const match = /(?:0x)?([0-9a-f]+)/i.exec(value);
  return match ? parseInt(match[1], 16) >>> 0 : undefined;
}

function field(value: string, name: string): number {
  const match = new RegExp(`${name}\\s+(?:0x)?([0-9a-f]+)`, 'i').exec(value);
  return match ? parseInt(match[1], 16) >>> 0 : 0;
}

/** Registers from the Variables view's rows; anything the adapter did not show reads as 0. */
export function registersFromVariables(rows: Variable[]): Registers {
  const value = (name: string): number => {
    const row = rows.find((r) => r.name.toLowerCase() === name);
    return (row && firstHex(row.value)) ?? 0;
  };
  const segment = (name: string): SegmentRegister => {
    const row = rows.find((r) => r.name.toLowerCase() === name);
    return row
      ? {
          selector: firstHex(row.value) ?? 0,
          base: field(row.value, 'base'),
          limit: field(row.value, 'limit'),
          attrib: 0,
        }
      : { selector: 0, base: 0, limit: 0, attrib: 0 };
  };
  const table = (name: string): { base: number; limit: number } => {
    const row = rows.find((r) => r.name.toLowerCase() === name);
    return { base: row ? field(row.value, 'base') : 0, limit: row ? field(row.value, 'limit') : 0 };
  };
  return {
    eax: value('eax'),
    ecx: value('ecx'),
    edx: value('edx'),
    ebx: value('ebx'),
    esp: value('esp'),
    ebp: value('ebp'),
    esi: value('esi'),
    edi: value('edi'),
    eip: value('eip'),
    eflags: value('eflags'),
    es: segment('es'),
    cs: segment('cs'),
    ss: segment('ss'),
    ds: segment('ds'),
    fs: segment('fs'),
    gs: segment('gs'),
    gdtr: table('gdtr'),
    idtr: table('idtr'),
    ldtr: segment('ldtr'),
    tr: segment('tr'),
    cr0: value('cr0'),
    cr2: value('cr2'),
    cr3: value('cr3'),
    cr4: value('cr4'),
    efer: value('efer'),
    dr: ['dr0', 'dr1', 'dr2', 'dr3', 'dr6', 'dr7'].map(value),
    halted: false,
    intShadow: false,
  };
}

/** What reading needs of a session: DAP requests answered with their bodies (vscode.DebugSession is one). */
export interface DapRequester {
  customRequest(command: string, args?: unknown): Thenable<unknown>;
}

/** Reads the cheap scopes of the top frame (registers, flags, segments), not the expensive ones (GDT, IDT). */
export async function readRegisters(session: DapRequester, threadId: number): Promise<Registers | undefined> {
  const trace = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 })) as {
    stackFrames?: { id: number }[];
  };
  const frame = trace.stackFrames?.[0];
  if (!frame) return undefined;
  const { scopes } = (await session.customRequest('scopes', { frameId: frame.id })) as {
    scopes: { name: string; variablesReference: number; expensive?: boolean }[];
  };
  const rows: Variable[] = [];
  for (const scope of scopes.filter((s) => !s.expensive && s.variablesReference > 0)) {
    const { variables } = (await session.customRequest('variables', {
      variablesReference: scope.variablesReference,
    })) as { variables: Variable[] };
    rows.push(...variables);
  }
  return rows.some((r) => r.name.toLowerCase() === 'eip') ? registersFromVariables(rows) : undefined;
}

/** Keeps the language server told whether a guest is stopped, and with which registers. */
export function forwardDebugState(guest: GuestSession, client: LanguageClient): vscode.Disposable {
  let told: 'paused' | 'other' | undefined;
  const send = (params: DebugStateParams): void => {
    if (client.isRunning()) void client.sendNotification(DEBUG_STATE_NOTIFICATION, params);
  };
  return guest.onStateChange(() => {
    const paused = guest.guestState === 'paused';
    if (paused && told !== 'paused') {
      told = 'paused';
      void readRegisters(guest.session, guest.stoppedThread)
        .then((registers) => {
          if (registers && guest.guestState === 'paused') send({ registers, description: guest.stopSummary });
        })
        .catch(() => undefined);
    } else if (!paused && told !== 'other') {
      told = 'other';
      send({ registers: null });
    }
  });
}

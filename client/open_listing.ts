// "Open listing": from a guest address to the source line that assembled it. While a Bootvisor session runs,
// the adapter's own listing answers (a DAP `disassemble` of one instruction carries its source location);
// otherwise the active .asm is assembled here and its `nasm -l` listing read, exactly as the adapter would.
import * as vscode from 'vscode';
import { assembleAsync } from '../common/nasm';
import { ListingMap } from '../common/listing';
import { formatAddress, parseAddress } from './address';
import { activeFile } from './active_file';

interface SourceLine {
  file: string;
  /** 1-based */
  line: number;
}

async function fromSession(session: vscode.DebugSession, address: number): Promise<SourceLine | undefined> {
  const result = (await session.customRequest('disassemble', {
    memoryReference: formatAddress(address),
    instructionCount: 1,
    resolveSymbols: true,
  })) as { instructions?: { location?: { path?: string }; line?: number }[] };
  const instruction = result.instructions?.[0];
  const file = instruction?.location?.path;
  return file && instruction?.line ? { file, line: instruction.line } : undefined;
}

async function fromSource(source: vscode.Uri, address: number): Promise<SourceLine | undefined> {
  const assembled = await assembleAsync(source.fsPath);
  try {
    return ListingMap.fromFile(assembled.listingPath, { mainFile: source.fsPath }).locate(address);
  } finally {
    assembled.remove();
  }
}

/** Asks for an address (unless given one) and opens its source line. */
export async function openListing(session: vscode.DebugSession | undefined, given?: string | number): Promise<void> {
  const text =
    given === undefined
      ? await vscode.window.showInputBox({
          title: 'Bootvisor: Open listing',
          prompt: 'A guest address: linear hex (7C1A, 0x7c1a) or segment:offset (0000:7C1A)',
          validateInput: (value) =>
            parseAddress(value) === undefined
              ? 'Not an address: use hex (7C1A) or segment:offset (0000:7C1A).'
              : undefined,
        })
      : String(given);
  if (text === undefined) return;
  const address = typeof given === 'number' ? given : parseAddress(text);
  if (address === undefined) {
    void vscode.window.showErrorMessage(
      `Bootvisor: "${text}" is not an address; use hex (7C1A) or segment:offset (0000:7C1A).`,
    );
    return;
  }
  let found: SourceLine | undefined;
  try {
    if (session) {
      found = await fromSession(session, address);
    } else {
      const source = activeFile();
      if (!source || !/\.(asm|nasm|inc)$/i.test(source.fsPath)) {
        void vscode.window.showErrorMessage(
          'Bootvisor: start a session (F5) or open the .asm the image was assembled from, then try again.',
        );
        return;
      }
      found = await fromSource(source, address);
    }
  } catch (error) {
    void vscode.window.showErrorMessage(
      `Bootvisor: could not read the listing: ${error instanceof Error ? error.message : String(error)}`,
    );
    return;
  }
  if (!found) {
    void vscode.window.showWarningMessage(`Bootvisor: no source line assembled to ${formatAddress(address)}.`);
    return;
  }
  const position = new vscode.Position(found.line - 1, 0);
  const editor = await vscode.window.showTextDocument(vscode.Uri.file(found.file), {
    selection: new vscode.Range(position, position),
  });
  editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

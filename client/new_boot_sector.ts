// "New boot sector" (the walkthrough's first step): writes a small NASM boot sector that greets on the screen
// into a new file of the open folder (never over an existing one) and opens it, ready for F5.
import * as path from 'path';
import * as vscode from 'vscode';

const TEMPLATE = `; A boot sector: the BIOS loads these 512 bytes at 0000:7C00 and jumps here in 16-bit real mode.
; F5 boots it; click in the gutter to set a breakpoint, F10 steps, the Variables view shows the registers.
bits 16
org 0x7c00

start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    mov si, greeting
.next:
    lodsb                       ; al = [ds:si], si += 1
    test al, al
    jz .done
    mov ah, 0x0e                ; INT 10h teletype: print al, move the cursor
    int 0x10
    jmp .next
.done:
    cli
    hlt                         ; interrupts off: the guest stops here for good

greeting: db "Hello, boot sector!", 13, 10, 0

    times 510 - ($ - $$) db 0   ; pad to 510 bytes
    dw 0xaa55                   ; the signature the BIOS looks for
`;

/** A name in `dir` that no file has yet: boot.asm, boot-2.asm, ... */
async function freeName(dir: vscode.Uri): Promise<vscode.Uri> {
  for (let n = 1; ; n++) {
    const candidate = vscode.Uri.joinPath(dir, n === 1 ? 'boot.asm' : `boot-${n}.asm`);
    try {
      await vscode.workspace.fs.stat(candidate);
    } catch {
      return candidate;
    }
  }
}

export async function newBootSector(): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  const target = folder
    ? await freeName(folder.uri)
    : await vscode.window.showSaveDialog({
        filters: { 'NASM source': ['asm'] },
        saveLabel: 'Create boot sector',
        title: 'New boot sector',
      });
  if (!target) return undefined;
  await vscode.workspace.fs.writeFile(target, Buffer.from(TEMPLATE, 'utf8'));
  await vscode.window.showTextDocument(target);
  void vscode.window.setStatusBarMessage(
    `Bootvisor: ${path.basename(target.fsPath)} created; press F5 to boot it`,
    8000,
  );
  return target;
}

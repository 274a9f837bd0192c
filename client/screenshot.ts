// Saving the guest screen as a PNG. The frame the extension already holds is encoded here, in the extension
// host, so a screenshot works the same whether or not the panel is visible.
import * as vscode from 'vscode';
import { PNG } from 'pngjs';
import type { Frame } from './guest_session';

/** The PNG bytes of a frame; a text-only frame has no pixels and gives undefined. */
export function encodeFrame(frame: Frame): Buffer | undefined {
  if (!frame.rgba || frame.width <= 0 || frame.height <= 0) return undefined;
  const pixels = Buffer.from(frame.rgba, 'base64');
  if (pixels.length !== frame.width * frame.height * 4) return undefined;
  const png = new PNG({ width: frame.width, height: frame.height });
  pixels.copy(png.data);
  // The adapter's alpha may be 0 (VGA has none): a screenshot must not come out transparent.
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 0xff;
  return PNG.sync.write(png);
}

export async function saveScreenshot(frame: Frame, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const bytes = encodeFrame(frame);
  if (!bytes) {
    void vscode.window.showWarningMessage('Bootvisor: the adapter sent this screen as text only, so there is no image to save.');
    return undefined;
  }
  if (!target) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, `guest-screen-${stamp}.png`) : undefined,
      filters: { 'PNG image': ['png'] },
      saveLabel: 'Save screenshot',
    });
    if (!target) return undefined;
  }
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(target, '..'));
  await vscode.workspace.fs.writeFile(target, bytes);
  return target;
}

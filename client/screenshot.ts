// Saving the guest screen as a PNG. The screen the extension already holds is drawn here, in the extension
// host, by the one renderer (common/screen-render.ts), so a screenshot works the same whether or not the
// panel is visible, and shows what the panel shows.
import * as vscode from 'vscode';
import { PNG } from 'pngjs';
import type { ScreenFrame } from '../common/api';
import { renderFrame } from '../common/screen-render';

/** The PNG bytes of a whole frame; undefined for an empty screen. */
export function pngOfFrame(frame: ScreenFrame): Buffer | undefined {
  if (frame.width <= 0 || frame.height <= 0) return undefined;
  const picture = renderFrame(frame);
  const png = new PNG({ width: picture.width, height: picture.height });
  png.data.set(picture.rgba);
  return PNG.sync.write(png);
}

export async function saveScreenshot(frame: ScreenFrame, target?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const bytes = pngOfFrame(frame);
  if (!bytes) {
    void vscode.window.showWarningMessage('Bootvisor: the guest screen is empty, so there is no image to save.');
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

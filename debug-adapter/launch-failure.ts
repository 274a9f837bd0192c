// A launch that fails because nasm rejected the program: the error response carries a link to the first
// error's line (VS Code shows `url` as a button on the error), and each of nasm's messages goes to the Debug
// Console with its source and line, so it is a link there too. The link is a command of the extension rather
// than a file:// URL, because in a remote window (code-server, SSH) the browser side cannot open the
// adapter's file:// paths; the extension host, beside the adapter, can.
import * as path from 'path';
import { OutputEvent, Source } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { AssemblyError } from '../common/nasm';

export interface LaunchFailure {
  message: DebugProtocol.Message;
  output: DebugProtocol.OutputEvent[];
}

export function assemblyFailure(e: AssemblyError, id: number, clientLine: (line: number) => number): LaunchFailure {
  const errors = e.diagnostics.filter((d) => d.severity === 'error');
  const first = errors.find((d) => d.line > 0) ?? e.diagnostics.find((d) => d.line > 0);
  const format = (
    first
      ? `${path.basename(first.file)}:${first.line}: ${first.severity}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : ''}`
      : e.message
  ).replace(/[{}]/g, '');
  const message: DebugProtocol.Message = {
    id,
    format: `nasm could not assemble ${path.basename(e.source)}: ${format}`,
    showUser: true,
  };
  if (first) {
    message.url = sourceLineUrl(path.resolve(first.file), clientLine(first.line));
    message.urlLabel = `Go to ${path.basename(first.file)}:${first.line}`;
  }
  const output: DebugProtocol.OutputEvent[] = e.diagnostics.length
    ? e.diagnostics.map((d) => {
        const o = new OutputEvent(
          `${path.basename(d.file)}:${d.line}: ${d.severity}: ${d.message}\n`,
          'stderr',
        ) as DebugProtocol.OutputEvent;
        if (d.line > 0) {
          o.body.source = new Source(path.basename(d.file), path.resolve(d.file));
          o.body.line = clientLine(d.line);
        }
        return o;
      })
    : [new OutputEvent(`${e.output.trim()}\n`, 'stderr') as DebugProtocol.OutputEvent];
  return { message, output };
}

/** The extension command that opens a file at a line (client/extension.ts registers it). */
export const OPEN_SOURCE_LINE_COMMAND = 'bootvisor.openSourceLine';

export function sourceLineUrl(file: string, line: number): string {
  return `command:${OPEN_SOURCE_LINE_COMMAND}?${encodeURIComponent(JSON.stringify([file, line]))}`;
}

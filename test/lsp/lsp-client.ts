// A real LSP client for the tests: spawns out/server/main.js over stdio and speaks JSON-RPC to it with
// vscode-jsonrpc (through vscode-languageserver-protocol), keeping every notification the server sends.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import {
  createProtocolConnection,
  Diagnostic,
  InitializeRequest,
  ProtocolConnection,
  PublishDiagnosticsParams,
  ShowMessageParams,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import type { ServerOptions } from '../../common/lsp-protocol';

export const REPO = path.resolve(__dirname, '../../..');
export const SERVER = path.join(REPO, 'out/server/main.js');
export const PROGRAMS = path.join(REPO, 'test/lsp/programs');

export class LspClient {
  readonly connection: ProtocolConnection;
  readonly diagnostics = new Map<string, Diagnostic[]>();
  /** How many times diagnostics were published per URI (to see the debounce at work). */
  readonly publishCount = new Map<string, number>();
  readonly messages: ShowMessageParams[] = [];
  readonly logs: string[] = [];
  private readonly waiters: (() => void)[] = [];
  private exited = false;

  private constructor(
    readonly child: ChildProcess,
    readonly root: string,
  ) {
    this.connection = createProtocolConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
    );
    this.connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      this.diagnostics.set(p.uri, p.diagnostics);
      this.publishCount.set(p.uri, (this.publishCount.get(p.uri) ?? 0) + 1);
      this.wake();
    });
    this.connection.onNotification('window/showMessage', (p: ShowMessageParams) => {
      this.messages.push(p);
      this.wake();
    });
    this.connection.onNotification('window/logMessage', (p: { message: string }) => this.logs.push(p.message));
    this.connection.onRequest('client/registerCapability', () => null);
    this.connection.onRequest('workspace/codeLens/refresh', () => null);
    this.connection.onRequest('workspace/inlayHint/refresh', () => null);
    child.on('exit', () => {
      this.exited = true;
      this.wake();
    });
    this.connection.listen();
  }

  /** Starts the server on a workspace folder (a fresh temp copy unless `root` is given). */
  static async start(
    root: string,
    options: ServerOptions = {},
    env: NodeJS.ProcessEnv = process.env,
  ): Promise<LspClient> {
    const child = spawn(process.execPath, [SERVER, '--stdio'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr!.on('data', () => undefined);
    const client = new LspClient(child, root);
    await client.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(root).toString(),
      workspaceFolders: [{ uri: pathToFileURL(root).toString(), name: 'ws' }],
      capabilities: {
        workspace: {
          didChangeWatchedFiles: { dynamicRegistration: true },
          codeLens: { refreshSupport: true },
          inlayHint: { refreshSupport: true },
          workspaceFolders: true,
        },
        textDocument: { publishDiagnostics: { relatedInformation: true }, hover: { contentFormat: ['markdown'] } },
      },
      initializationOptions: { debounceMs: 50, ...options },
    });
    await client.connection.sendNotification('initialized', {});
    return client;
  }

  get alive(): boolean {
    return !this.exited;
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits until `check` returns a value (re-checked on every notification), or fails after `ms` saying what it waited for. */
  async until<T>(what: string, check: () => T | undefined, ms = 15000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = check();
      if (v !== undefined && v !== false) return v;
      if (this.exited) throw new Error(`the server exited while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out after ${ms} ms waiting for ${what}; diagnostics: ${JSON.stringify([...this.diagnostics])}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  uri(file: string): string {
    return pathToFileURL(path.resolve(this.root, file)).toString();
  }

  open(file: string, text?: string, version = 1): string {
    const uri = this.uri(file);
    const content = text ?? fs.readFileSync(path.resolve(this.root, file), 'utf8');
    void this.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'nasm', version, text: content },
    });
    return uri;
  }

  change(file: string, text: string, version: number): void {
    void this.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: this.uri(file), version },
      contentChanges: [{ text }],
    });
  }

  /** The diagnostics of a file once they satisfy `ok`. */
  async diagnosticsOf(
    file: string,
    ok: (d: Diagnostic[]) => boolean,
    what = `diagnostics of ${file}`,
  ): Promise<Diagnostic[]> {
    const uri = this.uri(file);
    return this.until(what, () => {
      const d = this.diagnostics.get(uri);
      return d && ok(d) ? d : undefined;
    });
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      try {
        await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        void this.connection.sendNotification('exit');
      } catch {
        // already gone
      }
      await new Promise((r) => setTimeout(r, 100));
      if (!this.exited) this.child.kill();
    }
    this.connection.dispose();
  }
}

/** A fresh workspace folder holding copies of the named test programs. */
export function workspaceWith(files: string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-lsp-test-'));
  for (const f of files) fs.copyFileSync(path.join(PROGRAMS, f), path.join(root, f));
  return root;
}

export function removeWorkspace(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
}

/** Position of the `nth` occurrence of `needle` in a file's text (0-based line and character). */
export function positionOf(
  text: string,
  needle: string,
  nth = 0,
  offsetInNeedle = 0,
): { line: number; character: number } {
  let index = -1;
  for (let i = 0; i <= nth; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`"${needle}" (#${nth}) not found`);
  }
  index += offsetInNeedle;
  const before = text.slice(0, index).split('\n');
  return { line: before.length - 1, character: before[before.length - 1].length };
}

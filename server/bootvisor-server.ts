// The language server's session: LSP requests and notifications translated into calls on the file index,
// the assembler, the boot-sector checks, the report store and the navigation features. It owns all its state (no
// module singletons) and never lets an error escape a handler: a bad file costs one message, not the server.
import * as path from 'path';
import {
  CodeLens,
  Connection,
  Diagnostic,
  DiagnosticRelatedInformation,
  DiagnosticSeverity,
  DidChangeWatchedFilesNotification,
  InitializeParams,
  InitializeResult,
  InlayHint,
  Location,
  MessageType,
  Position,
  Range,
  TextDocuments,
  TextDocumentSyncKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { fileURLToPath, pathToFileURL } from 'url';
import type { Registers } from '../common/api';
import { WORKSPACE_REPORT_PATH } from '../common/exit-report';
import {
  DEBUG_STATE_NOTIFICATION,
  DebugStateParams,
  EXIT_REPORT_NOTIFICATION,
  ExitReportParams,
  ServerOptions,
} from '../common/lsp-protocol';
import { removeAllScratch } from '../common/scratch';
import { assemble, NasmMessage } from './assembler';
import { bootSectorChecks, Finding } from './boot-checks';
import { exitFindings, ExitFinding } from './exit-diagnostics';
import { FileIndex, isIncludeName, MAX_PARSE_BYTES } from './file-index';
import { parseNasm } from './nasm-file';
import { profileLabel, type ProfileLine } from './profile-label';
import { Navigation } from './navigation';
import { CurrentReport, ReportStore, resolveSource, sha256 } from './reports';

/** Above this size a document is not assembled as you type (assembling it on every pause would hog the CPU). */
const MAX_ASSEMBLE_BYTES = 512 * 1024;
const SOURCE = 'bootvisor';
const NASM_SOURCE = 'nasm';

export class BootvisorServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly index: FileIndex;
  private readonly reports: ReportStore;
  private readonly navigation: Navigation;
  private folders: string[] = [];
  private options: Required<Pick<ServerOptions, 'nasmPath' | 'debounceMs'>> & ServerOptions = {
    nasmPath: process.env.BOOTVISOR_NASM || 'nasm',
    debounceMs: 400,
  };
  private timers = new Map<string, NodeJS.Timeout>();
  private generation = new Map<string, number>();
  /** Assembly diagnostics: assembled document -> target file -> diagnostics (a document's assembly may speak of its includes). */
  private asmDiagnostics = new Map<string, Map<string, Diagnostic[]>>();
  private exitDiagnostics = new Map<string, Diagnostic[]>();
  private published = new Set<string>();
  private registers: Registers | null = null;
  private registersNote: string | undefined;
  private toldOnce = new Set<string>();
  /** The nasm run of each document, if one is going: a newer check or the server's end stops it. */
  private running = new Map<string, AbortController>();
  private capabilities = {
    codeLensRefresh: false,
    inlayHintRefresh: false,
    watchedFilesDynamic: false,
    workspaceFolders: false,
  };

  constructor(private readonly connection: Connection) {
    this.index = new FileIndex({ get: (file) => this.openText(file) }, []);
    this.navigation = new Navigation({
      index: this.index,
      toPath: (uri) => this.toPath(uri),
      toUri: (file) => this.toUri(file),
      openFiles: () => this.openFiles(),
      debugState: () => ({ registers: this.registers, description: this.registersNote }),
    });
    this.reports = new ReportStore(
      (current) => this.guard('report', () => this.onReport(current)),
      (problem) =>
        this.tellOnce(
          `report:${problem.origin}:${problem.message}`,
          MessageType.Warning,
          `Bootvisor: the run report ${problem.origin} ${problem.message}.`,
        ),
    );
  }

  listen(): void {
    const c = this.connection;
    c.onInitialize((params) => this.initialize(params));
    c.onInitialized(() => this.guard('initialized', () => this.initialized()));
    c.onShutdown(() => {
      this.reports.unwatch();
      this.abortAll();
    });
    c.onExit(() => this.abortAll());
    process.on('exit', () => this.abortAll());
    this.documents.onDidOpen((e) => this.guard('open', () => this.schedule(e.document, 0)));
    this.documents.onDidChangeContent((e) =>
      this.guard('change', () => this.schedule(e.document, this.options.debounceMs)),
    );
    this.documents.onDidClose((e) => this.guard('close', () => this.onClose(e.document)));
    c.onDidChangeWatchedFiles((p) =>
      this.guard('watched files', () => {
        for (const change of p.changes) {
          const file = this.toPath(change.uri);
          if (!file) continue;
          this.index.invalidate(file);
          if (/\.(asm|nasm|inc|s|mac|i)$/i.test(file)) this.recheckIncluders(file);
          if (file.endsWith(path.join('.bootvisor', 'last-run.json')) || this.reportFiles().includes(file))
            this.reports.loadFile(file, this.folders);
        }
      }),
    );
    c.onNotification(EXIT_REPORT_NOTIFICATION, (p: ExitReportParams) =>
      this.guard('exit report', () => {
        const bases = [...(p?.baseDirectory ? [p.baseDirectory] : []), ...this.folders];
        this.reports.accept(p?.report, bases, 'sent by the client');
      }),
    );
    c.onNotification(DEBUG_STATE_NOTIFICATION, (p: DebugStateParams) =>
      this.guard('debug state', () => {
        this.registers = p?.registers ?? null;
        this.registersNote = p?.description;
      }),
    );
    c.onHover((p) => this.guard('hover', () => this.navigation.hover(p.textDocument.uri, p.position), null));
    c.onDefinition((p) =>
      this.guard('definition', () => this.navigation.definition(p.textDocument.uri, p.position), []),
    );
    c.onReferences((p) =>
      this.guard(
        'references',
        () => this.navigation.references(p.textDocument.uri, p.position, p.context.includeDeclaration),
        [],
      ),
    );
    c.onDocumentSymbol((p) =>
      this.guard('document symbols', () => this.navigation.documentSymbols(p.textDocument.uri), []),
    );
    c.onWorkspaceSymbol((p) => this.guard('workspace symbols', () => this.navigation.workspaceSymbols(p.query), []));
    c.onCodeLens((p) => this.guard('code lens', () => this.codeLenses(p.textDocument.uri), []));
    c.languages.inlayHint.on((p) => this.guard('inlay hints', () => this.inlayHints(p.textDocument.uri, p.range), []));
    this.documents.listen(c);
    c.listen();
  }

  // ---- lifecycle -------------------------------------------------------------------------------------------

  private initialize(params: InitializeParams): InitializeResult {
    const opts = (params.initializationOptions ?? {}) as ServerOptions;
    if (typeof opts.nasmPath === 'string' && opts.nasmPath) this.options.nasmPath = opts.nasmPath;
    if (typeof opts.debounceMs === 'number' && opts.debounceMs >= 0) this.options.debounceMs = opts.debounceMs;
    if (typeof opts.nasmTimeoutMs === 'number' && opts.nasmTimeoutMs > 0)
      this.options.nasmTimeoutMs = opts.nasmTimeoutMs;
    if (Array.isArray(opts.reportFiles))
      this.options.reportFiles = opts.reportFiles.filter((f) => typeof f === 'string');
    const folders = params.workspaceFolders?.map((f) => this.toPath(f.uri)) ?? [
      params.rootUri ? this.toPath(params.rootUri) : undefined,
    ];
    this.folders = folders.filter((f): f is string => typeof f === 'string');
    this.index.setFolders(this.folders);
    const ws = params.capabilities.workspace;
    this.capabilities.codeLensRefresh = ws?.codeLens?.refreshSupport === true;
    this.capabilities.inlayHintRefresh = ws?.inlayHint?.refreshSupport === true;
    this.capabilities.watchedFilesDynamic = ws?.didChangeWatchedFiles?.dynamicRegistration === true;
    this.capabilities.workspaceFolders = ws?.workspaceFolders === true;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        workspace: params.capabilities.workspace?.workspaceFolders
          ? { workspaceFolders: { supported: true, changeNotifications: true } }
          : undefined,
        codeLensProvider: { resolveProvider: false },
        inlayHintProvider: true,
      },
      serverInfo: { name: 'bootvisor-lsp', version: '0.1.0' },
    };
  }

  private initialized(): void {
    if (this.capabilities.watchedFilesDynamic) {
      void this.connection.client
        .register(DidChangeWatchedFilesNotification.type, {
          watchers: [
            { globPattern: `**/${WORKSPACE_REPORT_PATH}` },
            { globPattern: '**/*.{asm,inc,nasm,s,mac}' },
            ...this.reportFiles().map((f) => ({ globPattern: f })),
          ],
        })
        .catch(() => undefined);
    }
    // Our own watch as well: clients without file watching, and files outside the workspace, still count.
    this.reports.watch(this.reportFiles(), this.folders);
    if (this.capabilities.workspaceFolders) {
      this.connection.workspace.onDidChangeWorkspaceFolders((e) =>
        this.guard('workspace folders', () => {
          const removed = new Set(e.removed.map((f) => this.toPath(f.uri)));
          const added = e.added.map((f) => this.toPath(f.uri)).filter((f): f is string => f !== undefined);
          this.folders = [...this.folders.filter((f) => !removed.has(f)), ...added];
          this.index.setFolders(this.folders);
          this.reports.watch(this.reportFiles(), this.folders);
        }),
      );
    }
  }

  private reportFiles(): string[] {
    const extra = (this.options.reportFiles ?? []).map((f) =>
      path.isAbsolute(f) ? f : path.resolve(this.folders[0] ?? process.cwd(), f),
    );
    return [...ReportStore.defaultPaths(this.folders), ...extra];
  }

  /** Runs a handler; an exception becomes a log line (and `fallback`), never a dead server. */
  private guard<T>(what: string, fn: () => T, fallback?: T): T {
    try {
      return fn();
    } catch (e) {
      this.connection.console.error(`bootvisor-lsp: ${what} failed: ${(e as Error).stack ?? String(e)}`);
      return fallback as T;
    }
  }

  private abortAll(): void {
    for (const a of this.running.values()) a.abort();
    this.running.clear();
    removeAllScratch();
  }

  /** A fresh abort signal for the document's nasm run, stopping the previous one. */
  private nasmSignal(uri: string): AbortSignal {
    this.running.get(uri)?.abort();
    const controller = new AbortController();
    this.running.set(uri, controller);
    return controller.signal;
  }

  private tellOnce(key: string, type: MessageType, message: string): void {
    if (this.toldOnce.has(key)) return;
    this.toldOnce.add(key);
    void this.connection.sendNotification('window/showMessage', { type, message });
  }

  // ---- paths -------------------------------------------------------------------------------------------------

  private toPath(uri: string): string | undefined {
    try {
      return uri.startsWith('file:') ? path.normalize(fileURLToPath(uri)) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The open document's own URI when there is one (clients differ in how they escape paths), else a file URL. */
  private toUri(file: string): string {
    return this.openDocument(file)?.uri ?? pathToFileURL(file).toString();
  }

  private openDocument(file: string): TextDocument | undefined {
    const direct = this.documents.get(pathToFileURL(file).toString());
    if (direct) return direct;
    return this.documents.all().find((d) => this.toPath(d.uri) === file);
  }

  private openText(file: string): { text: string; version: number } | undefined {
    const doc = this.openDocument(file);
    return doc ? { text: doc.getText(), version: doc.version } : undefined;
  }

  private openFiles(): string[] {
    return this.documents
      .all()
      .map((d) => this.toPath(d.uri))
      .filter((p): p is string => p !== undefined);
  }

  // ---- assembly diagnostics ----------------------------------------------------------------------------------

  private schedule(doc: TextDocument, delay: number): void {
    const uri = doc.uri;
    clearTimeout(this.timers.get(uri));
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        void this.check(uri).catch((e) =>
          this.connection.console.error(`bootvisor-lsp: checking ${uri} failed: ${(e as Error).stack ?? e}`),
        );
      }, delay),
    );
  }

  private onClose(doc: TextDocument): void {
    this.running.get(doc.uri)?.abort();
    this.running.delete(doc.uri);
    clearTimeout(this.timers.get(doc.uri));
    this.timers.delete(doc.uri);
    this.generation.set(doc.uri, (this.generation.get(doc.uri) ?? 0) + 1);
    this.asmDiagnostics.delete(doc.uri);
    this.refreshExitDiagnostics();
    this.publishAll();
  }

  private async check(uri: string): Promise<void> {
    const doc = this.documents.get(uri);
    if (!doc) return;
    const gen = (this.generation.get(uri) ?? 0) + 1;
    this.generation.set(uri, gen);
    const text = doc.getText();
    const file =
      this.toPath(uri) ??
      path.join(this.folders[0] ?? process.cwd(), path.basename(uri.replace(/[?#].*$/, '')) || 'untitled.asm');
    const own = new Map<string, Diagnostic[]>([[uri, []]]);
    const mine = own.get(uri)!;
    const setResult = () => {
      if (this.generation.get(uri) !== gen) return; // a newer keystroke has been checked meanwhile
      this.asmDiagnostics.set(uri, own);
      this.refreshExitDiagnostics();
      this.publishAll();
    };

    if (Buffer.byteLength(text) > MAX_PARSE_BYTES || Buffer.byteLength(text) > MAX_ASSEMBLE_BYTES) {
      const mb = (Buffer.byteLength(text) / (1 << 20)).toFixed(1);
      const limit =
        Buffer.byteLength(text) > MAX_PARSE_BYTES
          ? `${MAX_PARSE_BYTES >> 20} MiB: symbols, hover and checks are off`
          : `${MAX_ASSEMBLE_BYTES >> 10} KiB: it is not assembled as you type (symbols and hover still work)`;
      mine.push(this.fileNotice(`This file is ${mb} MiB, more than ${limit}.`, 'file-too-large'));
      return setResult();
    }
    if (text.includes('\u0000')) {
      mine.push(
        this.fileNotice('This file holds binary data, not NASM source: Bootvisor does not check it.', 'not-nasm'),
      );
      return setResult();
    }
    const live = this.index.parsed(file) ?? parseNasm(text);
    if (live.foreignLines >= 3 && live.foreignLines > live.codeLines) {
      mine.push(
        this.fileNotice(
          'This does not look like NASM source (GAS/AT&T syntax or another language?): Bootvisor does not assemble it. ' +
            'If it is NASM, check the first lines that fail to parse.',
          'not-nasm',
        ),
      );
      return setResult();
    }
    const includers = this.index.includers(file, this.openFiles());
    if (isIncludeName(file) || includers.length > 0) {
      // On its own an include file only reports what its includer defines: check it through an includer.
      const open = includers.filter((f) => this.openDocument(f));
      if (open.length > 0) {
        for (const f of open) this.schedule(this.openDocument(f)!, 0);
        return setResult();
      }
      const main = includers[0];
      const mainText = main !== undefined ? this.index.text(main) : undefined;
      if (main === undefined || mainText === undefined) return setResult();
      const result = await assemble(mainText, main, {
        nasmPath: this.options.nasmPath,
        timeoutMs: this.options.nasmTimeoutMs,
        overlay: this.overlayFor(main),
        signal: this.nasmSignal(uri),
      });
      if (this.generation.get(uri) !== gen) return;
      if (result.ok) {
        for (const m of result.messages)
          if (m.file === file) mine.push(this.nasmDiagnostic(m, text.split(/\r?\n/)[m.line] ?? ''));
      } else if (result.missingNasm) {
        this.tellMissingNasm(result.detail);
      }
      return setResult();
    }

    const result = await assemble(text, file, {
      nasmPath: this.options.nasmPath,
      timeoutMs: this.options.nasmTimeoutMs,
      overlay: this.overlayFor(file),
      signal: this.nasmSignal(uri),
    });
    if (this.generation.get(uri) !== gen) return;
    if (!result.ok) {
      if (result.missingNasm) {
        this.tellMissingNasm(result.detail);
      } else {
        mine.push(this.fileNotice(`nasm could not check this file: ${result.detail}.`, 'nasm-failed'));
      }
      return setResult();
    }
    for (const m of result.messages) {
      const target = m.file === null ? uri : this.toUri(m.file);
      const lineText =
        m.file === null
          ? doc.getText(Range.create(m.line, 0, m.line + 1, 0))
          : ((this.index.text(m.file) ?? '').split(/\r?\n/)[m.line] ?? '');
      if (!own.has(target)) own.set(target, []);
      own.get(target)!.push(this.nasmDiagnostic(m, lineText));
    }
    if (result.format === 'bin') {
      for (const f of bootSectorChecks(live, text, result.image, result.listing, this.includedContext(file)))
        mine.push(this.findingToDiagnostic(f, uri));
    }
    setResult();
  }

  /** The text of everything `file` includes, and the `org` one of them sets, for the boot-sector checks. */
  private includedContext(file: string): { text: string; org?: number } {
    let text = '';
    let org: number | undefined;
    for (const f of this.index.includeClosure(file)) {
      text += (this.index.text(f) ?? '') + '\n';
      org ??= this.index.parsed(f)?.org?.value;
    }
    return { text, org };
  }

  /** Unsaved text of the open files nasm may read while assembling `file`. */
  private overlayFor(file: string): { file: string; text: string }[] {
    return [...this.index.includeClosure(file)]
      .map((f) => ({ file: f, text: this.openText(f)?.text }))
      .filter((o): o is { file: string; text: string } => o.text !== undefined);
  }

  private nasmDiagnostic(m: NasmMessage, lineText: string): Diagnostic {
    return {
      range: this.lineRange(lineText, m.line),
      severity:
        m.severity === 'error'
          ? DiagnosticSeverity.Error
          : m.severity === 'warning'
            ? DiagnosticSeverity.Warning
            : DiagnosticSeverity.Information,
      source: NASM_SOURCE,
      message: m.message,
    };
  }

  private tellMissingNasm(detail: string): void {
    this.tellOnce(
      'missing-nasm',
      MessageType.Error,
      `Bootvisor cannot check NASM files as you type: nasm was not found (${detail}). Install it (e.g. \`apt-get install nasm\`, \`brew install nasm\`) ` +
        'or set BOOTVISOR_NASM to its path (as for `bootvisor run`). Symbols, hover and run diagnostics still work.',
    );
  }

  /** A source changed on disk: the open files that include it are checked again. */
  private recheckIncluders(file: string): void {
    for (const f of this.index.includers(file, this.openFiles())) {
      const doc = this.openDocument(f);
      if (doc) this.schedule(doc, this.options.debounceMs);
    }
  }

  private fileNotice(message: string, code: string): Diagnostic {
    return { range: Range.create(0, 0, 0, 0), severity: DiagnosticSeverity.Information, source: SOURCE, code, message };
  }

  private findingToDiagnostic(f: Finding, uri: string): Diagnostic {
    return {
      range: Range.create(f.line, f.start, f.line, f.end),
      severity:
        f.severity === 'error'
          ? DiagnosticSeverity.Error
          : f.severity === 'warning'
            ? DiagnosticSeverity.Warning
            : DiagnosticSeverity.Information,
      source: SOURCE,
      code: f.code,
      message: f.message,
      relatedInformation: f.related?.map((r) =>
        DiagnosticRelatedInformation.create(Location.create(uri, Range.create(r.line, 0, r.line, 0)), r.message),
      ),
    };
  }

  private lineRange(lineText: string, line: number): Range {
    const t = lineText.replace(/\r?\n$/, '');
    const start = t.length - t.trimStart().length;
    const comment = t.indexOf(';');
    const end = (comment >= 0 ? t.slice(0, comment) : t).trimEnd().length;
    return Range.create(line, start, line, Math.max(start, end));
  }

  // ---- run reports -------------------------------------------------------------------------------------------

  private onReport(_current: CurrentReport | undefined): void {
    this.refreshExitDiagnostics();
    this.publishAll();
    if (this.capabilities.codeLensRefresh)
      void this.connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
    if (this.capabilities.inlayHintRefresh)
      void this.connection.sendRequest('workspace/inlayHint/refresh').catch(() => undefined);
  }

  private resolveReportPath(current: CurrentReport, file: string): string | undefined {
    return resolveSource(file, current.bases);
  }

  private refreshExitDiagnostics(): void {
    this.exitDiagnostics.clear();
    const current = this.reports.latest;
    if (!current) return;
    const hashes = new Map<string, string>();
    for (const s of current.report.sources ?? []) {
      const p = s && typeof s.file === 'string' ? this.resolveReportPath(current, s.file) : undefined;
      if (p && typeof s.sha256 === 'string') hashes.set(p, s.sha256.toLowerCase());
    }
    const findings = exitFindings(current.report, {
      resolve: (f) => this.resolveReportPath(current, f),
      lineText: (f, line) => this.index.text(f)?.split(/\r?\n/)[line],
      changed: (f) => {
        const want = hashes.get(f);
        if (!want) return false;
        const text = this.index.text(f);
        return text !== undefined && sha256(Buffer.from(text, 'utf8')) !== want;
      },
    });
    for (const f of findings) {
      const uri = this.toUri(f.file);
      const list = this.exitDiagnostics.get(uri) ?? [];
      list.push(this.exitToDiagnostic(f, current.report.origin));
      this.exitDiagnostics.set(uri, list);
    }
  }

  /** `origin`: what ran (a debug session's name); the findings of `bootvisor run` keep that label. */
  private exitToDiagnostic(f: ExitFinding, origin?: unknown): Diagnostic {
    const lineText = this.index.text(f.file)?.split(/\r?\n/)[f.line] ?? '';
    return {
      range: this.lineRange(lineText, f.line),
      severity:
        f.severity === 'error'
          ? DiagnosticSeverity.Error
          : f.severity === 'warning'
            ? DiagnosticSeverity.Warning
            : DiagnosticSeverity.Information,
      source: typeof origin === 'string' && origin ? origin.slice(0, 80) : `${SOURCE} run`,
      code: f.code,
      message: f.message,
      relatedInformation:
        f.related.length > 0
          ? f.related.map((r) =>
              DiagnosticRelatedInformation.create(
                Location.create(this.toUri(r.file), Range.create(r.line, 0, r.line, 0)),
                r.message,
              ),
            )
          : undefined,
    };
  }

  /** Publishes, for every file, its assembly diagnostics (from any document's run) with the run's exit diagnostics. */
  private publishAll(): void {
    const merged = new Map<string, Diagnostic[]>();
    const add = (uri: string, list: Diagnostic[]) => merged.set(uri, [...(merged.get(uri) ?? []), ...list]);
    for (const byTarget of this.asmDiagnostics.values()) for (const [uri, list] of byTarget) add(uri, list);
    for (const [uri, list] of this.exitDiagnostics) add(uri, list);
    for (const uri of this.published) if (!merged.has(uri)) merged.set(uri, []);
    for (const [uri, diagnostics] of merged) {
      void this.connection.sendDiagnostics({ uri, diagnostics });
      if (diagnostics.length > 0) this.published.add(uri);
      else this.published.delete(uri);
    }
  }

  // ---- exit profile ------------------------------------------------------------------------------------------

  private profileFor(uri: string): { line: number; exits: number; ports: number[] }[] {
    const current = this.reports.latest;
    const file = this.toPath(uri);
    if (!current || !file) return [];
    const out: { line: number; exits: number; ports: number[] }[] = [];
    for (const p of current.report.profile ?? []) {
      if (!p?.source || typeof p.source.file !== 'string' || typeof p.exits !== 'number') continue;
      if (this.resolveReportPath(current, p.source.file) !== file) continue;
      out.push({ line: Math.max(0, p.source.line - 1), exits: p.exits, ports: Array.isArray(p.ports) ? p.ports : [] });
    }
    return out;
  }

  private profileLabel(uri: string, p: ProfileLine): string {
    const file = this.toPath(uri);
    return profileLabel(file ? this.index.parsed(file) : undefined, p);
  }

  private codeLenses(uri: string): CodeLens[] {
    return this.profileFor(uri).map((p) => ({
      range: Range.create(p.line, 0, p.line, 0),
      command: { title: this.profileLabel(uri, p), command: '' },
    }));
  }

  private inlayHints(uri: string, range: Range): InlayHint[] {
    const doc = this.documents.get(uri);
    return this.profileFor(uri)
      .filter((p) => p.line >= range.start.line && p.line <= range.end.line)
      .map((p) => {
        const lineText = doc?.getText(Range.create(p.line, 0, p.line + 1, 0)).replace(/\r?\n$/, '') ?? '';
        return {
          position: Position.create(p.line, lineText.length),
          label: `${p.exits} exit${p.exits === 1 ? '' : 's'}`,
          paddingLeft: true,
          tooltip: this.profileLabel(uri, p),
        };
      });
  }
}

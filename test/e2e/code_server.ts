// A private code-server for one e2e run: its own config, data, cache and extensions folders (so runs never
// share state), the packaged .vsix installed into it, and a clean stop of its whole process group (its pty
// host and extension host outlive the main process otherwise).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export interface CodeServerOptions {
  /** the code-server executable (test/e2e/install-code-server.sh prints it) */
  executable: string;
  /** a folder for everything this run writes: settings, extensions, logs */
  runDir: string;
  /** the .vsix to install */
  vsix: string;
  /** VS Code user settings */
  settings: Record<string, unknown>;
  /** more environment for the server, and so for the extension host and the debug adapter */
  env?: Record<string, string>;
}

export class CodeServer {
  private process: ChildProcess | undefined;
  port = 0;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly logFile: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: CodeServerOptions) {
    const run = options.runDir;
    this.userDataDir = path.join(run, 'user-data');
    this.extensionsDir = path.join(run, 'extensions');
    this.logFile = path.join(run, 'code-server.log');
    const xdg = (name: string): string => {
      const dir = path.join(run, 'xdg', name);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    };
    this.env = {
      ...process.env,
      XDG_CONFIG_HOME: xdg('config'),
      XDG_DATA_HOME: xdg('data'),
      XDG_CACHE_HOME: xdg('cache'),
      XDG_RUNTIME_DIR: xdg('runtime'),
      ...options.env,
    };
  }

  /** Installs the .vsix the way a user would (copying an unpacked folder is ignored by code-server). */
  installExtension(): void {
    fs.mkdirSync(path.join(this.userDataDir, 'User'), { recursive: true });
    fs.writeFileSync(
      path.join(this.userDataDir, 'User', 'settings.json'),
      JSON.stringify(this.options.settings, null, 2),
    );
    const result = spawnSync(
      process.execPath,
      [
        this.script,
        '--install-extension',
        this.options.vsix,
        '--force',
        '--extensions-dir',
        this.extensionsDir,
        '--user-data-dir',
        this.userDataDir,
      ],
      { env: this.env, encoding: 'utf8', timeout: 120_000 },
    );
    if (result.status !== 0) {
      throw new Error(`code-server could not install ${this.options.vsix}:\n${result.stdout}\n${result.stderr}`);
    }
  }

  async start(workspace: string): Promise<void> {
    this.port = await freePort();
    const log = fs.openSync(this.logFile, 'a');
    this.process = spawn(
      process.execPath,
      [
        this.script,
        '--bind-addr',
        `127.0.0.1:${this.port}`,
        '--auth',
        'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--user-data-dir',
        this.userDataDir,
        '--extensions-dir',
        this.extensionsDir,
        workspace,
      ],
      // Its own process group, so that stop() can end the helpers it spawns with it.
      { env: this.env, detached: true, stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null)
        throw new Error(`code-server exited with ${this.process.exitCode}; see ${this.logFile}`);
      try {
        const response = await fetch(`${this.url}/healthz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`code-server did not answer on ${this.url}/healthz within 60 s; see ${this.logFile}`);
  }

  /** code-server's own script, run by this Node: the PATH the server gets may hold no `node` (on purpose). */
  private get script(): string {
    return fs.realpathSync(this.options.executable);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    }, 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

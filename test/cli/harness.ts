// Running the built `bootvisor` the way a user does (node out/cli/main.js), and the paths tests share.
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(ROOT, 'out', 'cli', 'main.js');
export const EXAMPLES = path.join(ROOT, 'examples');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env: options.env ?? process.env,
    cwd: options.cwd ?? ROOT,
    timeout: options.timeoutMs ?? 60000,
  });
  if (r.error) throw r.error;
  return {
    status: r.status ?? -1,
    stdout: r.stdout.toString('utf8'),
    stderr: r.stderr.toString('utf8'),
    stdoutBytes: r.stdout,
  };
}

/** The same, without blocking the test process (for tests that run several at once). */
export function runCliAsync(args: string[], options: { cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({
        status: status ?? -1,
        stdout: stdoutBytes.toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        stdoutBytes,
      });
    });
  });
}

export function tempDir(prefix = 'bootvisor-test-'): { dir: string; file(name: string): string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, file: (name) => path.join(dir, name), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The examples: every examples/NAME/NAME.asm. */
export function exampleNames(): string[] {
  return fs
    .readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(EXAMPLES, d.name, `${d.name}.asm`)))
    .map((d) => d.name)
    .sort();
}

export const exampleAsm = (name: string): string => path.join(EXAMPLES, name, `${name}.asm`);
export const exampleImg = (name: string): string => path.join(EXAMPLES, name, `${name}.img`);

/** nasm must be installed for these tests (npm test installs it); fail loudly rather than skip. */
export function requireNasm(): void {
  const r = spawnSync('nasm', ['-v']);
  if (r.error)
    throw new Error('nasm is not installed: run scripts/install-test-deps.sh (or sudo apt-get install nasm)');
}

export interface GdbStubRun {
  port: number;
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number>;
}

/** Starts `bootvisor run ARGS --gdb 0` and resolves once it listens, with the port it chose. */
export function startGdbStub(args: string[], timeoutSeconds = 120): Promise<GdbStubRun> {
  const child = spawn(process.execPath, [CLI, 'run', ...args, '--gdb', '0', '--timeout', String(timeoutSeconds)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.resume(); // nobody reads the guest's output here; a full pipe must not stop the run
  let err = '';
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "waiting for gdb" within 30 s: ${err}`)), 30000);
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      const m = /waiting for gdb on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), child, stderr: () => err, exited });
      }
    });
    child.on('close', () => reject(new Error(`bootvisor ended before listening: ${err}`)));
  });
}

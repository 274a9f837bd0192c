// The real gdb in batch mode against a Bootvisor gdb stub, for the CLI's and the adapter's tests.
import { spawn, spawnSync } from 'child_process';

export function requireGdb(): void {
  const r = spawnSync('gdb', ['--version']);
  if (r.error) throw new Error('gdb is not installed: run scripts/install-test-deps.sh (or sudo apt-get install gdb)');
}

/** gdb -batch with these commands against the stub at `port`; its whole output. Bounded by a generous host limit. */
export function gdbBatch(port: number, commands: string[], file?: string): Promise<string> {
  const args = [
    '-batch',
    '-nx',
    '-ex',
    'set confirm off',
    '-ex',
    `target remote :${port}`,
    ...commands.flatMap((c) => ['-ex', c]),
  ];
  if (file) args.push(file);
  return new Promise((resolve, reject) => {
    const child = spawn('gdb', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

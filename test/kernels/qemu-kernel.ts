// QEMU's -kernel as the reference multiboot loader: boots an ELF (or a.out-kludge binary) under TCG with
// COM1 in a file and the isa-debug-exit port, and waits for the kernel to leave through that port.
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { QEMU } from '../pc/qemu';

export interface QemuKernelRun {
  serial: string;
  /** QEMU's exit status: (V << 1) | 1 after the kernel wrote V to port 0xF4. */
  status: number | null;
}

/**
 * Runs `kernel` with `-append cmdline` and `-initrd modules`, in `cwd` (module and kernel names are passed as
 * given, so the command line the kernel sees is the same as under Bootvisor). Killed after `limitMs` of host
 * time (generous: a test kernel needs well under a second on a quiet machine).
 */
export function runKernelInQemu(
  kernel: string,
  options: { cwd: string; cmdline?: string; modules?: string[]; limitMs?: number; memoryMiB?: number; qemu?: string },
): Promise<QemuKernelRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-qemu-kernel-'));
  const serialFile = path.join(dir, 'serial.txt');
  const args = [
    '-accel',
    'tcg',
    '-display',
    'none',
    '-no-reboot',
    '-action',
    'reboot=shutdown,shutdown=poweroff',
    '-m',
    String(options.memoryMiB ?? 32),
    '-serial',
    `file:${serialFile}`,
    '-monitor',
    'none',
    '-device',
    'isa-debug-exit,iobase=0xf4,iosize=0x04',
    '-kernel',
    kernel,
  ];
  if (options.cmdline !== undefined) args.push('-append', options.cmdline);
  if (options.modules?.length) args.push('-initrd', options.modules.join(','));
  return new Promise((resolve, reject) => {
    const child = spawn(options.qemu ?? QEMU, args, { cwd: options.cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.limitMs ?? 60000);
    child.on('error', (e) => {
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
      reject(new Error(`${QEMU} could not start (${e.message}): run scripts/install-test-deps.sh`));
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      const serial = fs.existsSync(serialFile) ? fs.readFileSync(serialFile, 'latin1') : '';
      fs.rmSync(dir, { recursive: true, force: true });
      if (status === null)
        reject(
          new Error(
            `QEMU did not finish within ${options.limitMs ?? 60000} ms (COM1 so far: ${JSON.stringify(serial)})`,
          ),
        );
      else if (serial === '' && stderr) reject(new Error(`QEMU failed (status ${status}): ${stderr.trim()}`));
      else resolve({ serial, status });
    });
  });
}

/**
 * `bootvisor run` and QEMU -kernel on the same ELF: COM1 must match `expected` and be the same in both, and
 * both must leave through isa-debug-exit with status 33 (the kernel wrote 10h).
 */
export async function assertSameComAsQemu(elf: string, cwd: string, expected: RegExp): Promise<void> {
  // Loaded lazily: the CLI harness is not needed by every user of this file.
  const { runCliAsync } = await import('../cli/harness');
  const [ours, qemu] = await Promise.all([
    runCliAsync(['run', elf, '--serial', '-', '--timeout', '60']),
    runKernelInQemu(elf, { cwd }),
  ]);
  assert.match(ours.stdout, expected, ours.stderr);
  assert.strictEqual(ours.stdout, qemu.serial, 'COM1 output, Bootvisor then QEMU');
  assert.strictEqual(ours.status, 33);
  assert.strictEqual(qemu.status, 33);
}

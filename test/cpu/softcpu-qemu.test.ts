// Real-mode programs that exercise what the 286 vectors cannot (386 forms through 0x66/0x67, unreal mode),
// run on the software vCPU and on QEMU (TCG) from the same image; both print their results on port 0xE9
// and the outputs must be identical.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createSoftCpu } from '../../common/soft-cpu';
import { requireQemu, runInQemu } from '../pc/qemu';

const SRC = path.resolve(__dirname, '../../../test/cpu/programs');
const PROGRAMS = ['rm-ext386.asm', 'rm-basics.asm', 'rm-stack.asm'];
const FLOPPY_BYTES = 1474560;

export function assembleProgram(name: string): Buffer {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-cpu-')), name.replace(/\.asm$/, '.img'));
  const r = spawnSync('nasm', ['-f', 'bin', '-I', SRC + '/lib/', '-I', SRC + '/', path.join(SRC, name), '-o', out], {
    encoding: 'utf8',
  });
  if (r.error) throw new Error('nasm is not installed: run scripts/install-test-deps.sh (or apt-get install nasm)');
  if (r.status !== 0) throw new Error(`nasm failed on ${name}:\n${r.stderr}`);
  return fs.readFileSync(out);
}

/** Runs a test program on the software vCPU as the harness does: the whole image at 0000:7C00. */
export function runOnSoftCpu(image: Buffer, budget = 50_000_000): { output: string; exit: string } {
  const cpu = createSoftCpu(32 * 1024 * 1024);
  cpu.writeMemory(0x7c00, image);
  cpu.setState({
    cs: 0,
    ds: 0,
    es: 0,
    ss: 0,
    fs: 0,
    gs: 0,
    eip: 0x7c00,
    esp: 0x7c00,
    eflags: 0x2,
    idtr: { base: 0, limit: 0x3ff },
  });
  const exit = cpu.run(budget);
  const why =
    exit.reason === 'io' && exit.port === 0xf4 ? 'exit-port' : `${exit.reason} (${JSON.stringify(cpu.faultChain())})`;
  return { output: Buffer.from(cpu.takeOutput(0xe9)).toString('latin1'), exit: why };
}

describe('software vCPU: real-mode programs against QEMU', function () {
  this.timeout(120000);
  for (const name of PROGRAMS) {
    it(`${name} prints what QEMU prints`, async function () {
      const image = assembleProgram(name);
      const ours = runOnSoftCpu(image);
      assert.strictEqual(ours.exit, 'exit-port', `the program did not reach its exit port write: ${ours.exit}`);
      assert.match(ours.output, /@@BEGIN[\s\S]*@@END/, 'the program printed no complete result block');
      requireQemu();
      const floppy = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bootvisor-cpu-')), 'floppy.img');
      const padded = Buffer.alloc(FLOPPY_BYTES);
      image.copy(padded);
      fs.writeFileSync(floppy, padded);
      // The program ends QEMU through isa-debug-exit, so these only bound a run that never gets there; a loaded
      // machine can take seconds to get through SeaBIOS.
      const q = await runInQemu(floppy, { minMs: 10000, quietMs: 3000, maxMs: 30000 });
      const theirs = q.debugcon.toString('latin1');
      assert.match(theirs, /@@END/, `QEMU did not finish the program: ${theirs}`);
      const a = ours.output.split('\n'),
        b = theirs.split('\n');
      const diffs = a.map((l, i) => (l !== b[i] ? `ours: ${l}  qemu: ${b[i]}` : '')).filter((d) => d);
      assert.deepStrictEqual(diffs, [], 'lines differ from QEMU');
      assert.strictEqual(a.length, b.length);
    });
  }
});

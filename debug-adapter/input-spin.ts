// After it has answered, the adapter keeps reading its input for a moment before it sleeps in the event loop.
// A debugger's conversation is request after request, each sent the moment the previous answer arrives (a
// step, then VS Code's threads, stackTrace, scopes and variables); waking a process that sleeps in epoll costs
// tens of microseconds on a virtual machine's idle core, as much as handling the request. Reading for up to
// BOOTVISOR_DAP_SPIN_US microseconds (default 300; 0 turns it off) after each answer takes the next request
// without that wake-up, at the cost of that much CPU per answer at most. Linux pipes and sockets only: the
// descriptor there is non-blocking (libuv made it so), which a read that must never wait depends on.
import * as fs from 'fs';

const DEFAULT_SPIN_US = 300;

export class InputSpin {
  private readonly buf = Buffer.allocUnsafe(64 * 1024);
  private readonly spinNs: bigint;
  private enabled: boolean;

  /**
   * `pending` says how many bytes the stream reading the same descriptor holds unread: while it holds any,
   * bytes read here would overtake them, so there is no spinning.
   */
  constructor(
    private readonly fd: number,
    private readonly deliver: (chunk: Buffer) => void,
    private readonly pending: () => number,
    spinUs = spinSetting(),
  ) {
    this.spinNs = BigInt(spinUs) * 1000n;
    this.enabled = spinUs > 0 && process.platform === 'linux' && isPipeOrSocket(fd);
  }

  /**
   * Reads what arrives within the spin time and delivers it, the wait starting again after each delivery
   * while `worthIt()` (a request that set the guest running is answered later, from the event loop).
   */
  run(worthIt: () => boolean): void {
    if (!this.enabled || this.pending() > 0) return;
    let until = process.hrtime.bigint() + this.spinNs;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(this.fd, this.buf, 0, this.buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          if (process.hrtime.bigint() > until) return;
          continue;
        }
        // Anything else is the stream's to report (it reads the same descriptor); this only stops trying.
        this.enabled = false;
        return;
      }
      // End of input: the stream's own read sees it too and ends the session.
      if (n === 0) return;
      // A copy: the framer may keep a partial message's bytes until the rest arrives.
      this.deliver(Buffer.from(this.buf.subarray(0, n)));
      if (!worthIt()) return;
      until = process.hrtime.bigint() + this.spinNs;
    }
  }
}

function spinSetting(): number {
  const raw = process.env.BOOTVISOR_DAP_SPIN_US;
  if (raw === undefined || raw === '') return DEFAULT_SPIN_US;
  const us = Number(raw);
  return Number.isFinite(us) && us >= 0 ? Math.min(us, 10000) : DEFAULT_SPIN_US;
}

function isPipeOrSocket(fd: number): boolean {
  try {
    const st = fs.fstatSync(fd);
    return st.isFIFO() || st.isSocket();
  } catch {
    return false;
  }
}

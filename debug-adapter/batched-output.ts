// The adapter's messages to the client, one write per turn of the event loop: a step's response and its
// stopped event (and a continue's status events) leave in one system call that wakes the client once,
// instead of one each. On a loaded machine each write to the pipe costs tens of microseconds, about as
// much as the step itself.
import { Writable } from 'stream';

export class BatchedOutput extends Writable {
  private pending: Buffer[] = [];

  constructor(private readonly out: NodeJS.WritableStream) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.pending.push(chunk);
    // After this turn's promise jobs too: a step's stopped event comes from one, after its response.
    if (this.pending.length === 1) setImmediate(() => this.flush());
    done();
  }

  /** Writes what is waiting now (also called at exit, so nothing the session sent is lost). */
  flush(): void {
    if (this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    this.out.write(data);
  }
}

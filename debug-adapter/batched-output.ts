// The adapter's messages to the client, one write per turn of the event loop: a step's response and its
// stopped event (and a continue's status events) leave in one system call that wakes the client once,
// instead of one each. On a loaded machine each write to the pipe costs tens of microseconds, about as
// much as the step itself. A stopped event need not wait for the end of the turn (flushNow): what the
// adapter does after it (bookkeeping for the next stop) then runs while the client reads.
// It is the small part of a stream that the DAP library uses (write, on, end), not a stream.Writable: a
// Writable turns each message into a Buffer and schedules a callback for it, several microseconds a message
// while the adapter's code is not yet optimised (the first hundreds of steps of a session).

export class BatchedOutput {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly out: NodeJS.WritableStream) {}

  write(chunk: string | Uint8Array): boolean {
    this.pending.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    if (!this.scheduled && !this.handling) {
      this.scheduled = true;
      // After this turn's promise jobs too: a step's stopped event comes from one, after its response.
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** True while a chunk of requests is handled: what they send leaves when the chunk is done (handle). */
  private handling = false;

  /**
   * Runs the handling of a chunk of input and writes what it sent at its end, without scheduling a flush for
   * a later turn (a few microseconds a request while the adapter's code is cold). Messages sent later, from
   * promise jobs, are flushed at the end of their turn as before.
   */
  handle(body: () => void): void {
    this.handling = true;
    try {
      body();
    } finally {
      this.handling = false;
      this.flush();
    }
  }

  /** Errors are the real output's (main.ts listens there). */
  on(): this {
    return this;
  }

  end(): void {
    this.flush();
  }

  /** Writes what is waiting now (also called at exit, so nothing the session sent is lost). */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
    this.pending = [];
    this.out.write(data);
  }
}

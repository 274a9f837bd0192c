// LoggingDebugSession formats every message into a log line (a JSON.stringify of each request, response and
// event) even when nothing is logged: three extra serialisations in every step's round trip. This session
// logs through it only while the launch's `trace` attribute is on, and otherwise sends as DebugSession does.
// A stopped event leaves at once when the output batches (batched-output.ts): the client's wait ends there,
// and the adapter's own work after a stop then overlaps the client's reading of it.
import { DebugSession, LoggingDebugSession } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';

export class QuietLoggingSession extends LoggingDebugSession {
  /** True while `trace` asks for every message in the Debug Console or a file. */
  protected tracing = false;

  private batched?: { flush(): void };

  override start(inStream: NodeJS.ReadableStream, outStream: NodeJS.WritableStream): void {
    const flush = (outStream as Partial<{ flush: unknown }>).flush;
    this.batched = typeof flush === 'function' ? (outStream as unknown as { flush(): void }) : undefined;
    super.start(inStream, outStream);
  }

  override sendEvent(event: DebugProtocol.Event): void {
    if (this.tracing) super.sendEvent(event);
    else DebugSession.prototype.sendEvent.call(this, event);
    if (event.event === 'stopped') this.batched?.flush();
  }

  /** Writes what was sent so far now, not at the end of the turn (the adapter has more to do in this one). */
  protected flushOutput(): void {
    this.batched?.flush();
  }

  override sendResponse(response: DebugProtocol.Response): void {
    if (this.tracing) super.sendResponse(response);
    else DebugSession.prototype.sendResponse.call(this, response);
  }

  protected override dispatchRequest(request: DebugProtocol.Request): void {
    if (this.tracing) super.dispatchRequest(request);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- protected in DebugSession's typings
    else (DebugSession.prototype as any).dispatchRequest.call(this, request);
  }
}

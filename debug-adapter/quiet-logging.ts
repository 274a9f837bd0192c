// LoggingDebugSession formats every message into a log line (a JSON.stringify of each request, response and
// event) even when nothing is logged: three extra serialisations in every step's round trip. This session
// logs through it only while the launch's `trace` attribute is on, and otherwise sends as DebugSession does.
import { DebugSession, LoggingDebugSession } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';

export class QuietLoggingSession extends LoggingDebugSession {
  /** True while `trace` asks for every message in the Debug Console or a file. */
  protected tracing = false;

  override sendEvent(event: DebugProtocol.Event): void {
    if (this.tracing) super.sendEvent(event);
    else DebugSession.prototype.sendEvent.call(this, event);
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

// What the adapter accepts from the framing (common/message-framing.ts): requests with a whole-number seq, a
// string command and object arguments, and responses to its own requests (runInTerminal). Everything else
// is refused with a reason; a request it can still identify gets an error response, so the client never
// waits for an answer that will not come.
import { MessageFramer, RequestIdentity, salvageIdentity } from '../common/message-framing';

export interface DapInputSink {
  message(msg: { type: string; seq: number; [key: string]: unknown }): void;
  /** Something was refused: log `message`; answer `request` when given. */
  refused(message: string, request?: RequestIdentity): void;
}

function identify(text: string, parsed?: Record<string, unknown>): RequestIdentity | undefined {
  if (parsed)
    return Number.isSafeInteger(parsed.seq) && typeof parsed.command === 'string'
      ? { id: parsed.seq as number, name: parsed.command }
      : undefined;
  const found = salvageIdentity(text, 'seq', 'command');
  return found && typeof found.id === 'number' ? found : undefined;
}

export function dapFramer(sink: DapInputSink): MessageFramer {
  return new MessageFramer({
    identify,
    problem: (p) => sink.refused(p.message, p.request),
    message: (m, body) => {
      const request = identify('', m);
      if (m.type === 'request') {
        if (!request) {
          sink.refused(
            'a request without a whole-number "seq" and a string "command" was ignored',
            identify(body.toString('utf8')),
          );
          return;
        }
        if (
          m.arguments !== undefined &&
          (typeof m.arguments !== 'object' || m.arguments === null || Array.isArray(m.arguments))
        ) {
          sink.refused(`"${request.name}": "arguments" must be an object`, request);
          return;
        }
        sink.message(m as { type: string; seq: number });
        return;
      }
      if (m.type === 'response' && Number.isSafeInteger(m.request_seq)) {
        sink.message(m as { type: string; seq: number });
        return;
      }
      sink.refused(
        `a message of type ${JSON.stringify(m.type)} was ignored: a debug adapter takes requests (and responses to its own requests)`,
        request,
      );
    },
  });
}

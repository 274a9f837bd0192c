// What the language server accepts from the framing (common/message-framing.ts): JSON-RPC requests and
// notifications (a string method), and responses to its own requests. Everything else is refused with a
// reason; a request it can still identify gets a JSON-RPC error, so the client never waits in vain.
import { MessageFramer, RequestIdentity, salvageIdentity } from '../common/message-framing';

export interface LspInputSink {
  /** A well-formed message, its body as sent. */
  message(body: Buffer): void;
  refused(message: string, request?: RequestIdentity): void;
}

const isId = (v: unknown): v is number | string =>
  (typeof v === 'number' && Number.isSafeInteger(v)) || (typeof v === 'string' && v.length <= 256);

function identify(text: string, parsed?: Record<string, unknown>): RequestIdentity | undefined {
  if (parsed)
    return isId(parsed.id)
      ? { id: parsed.id, name: typeof parsed.method === 'string' ? parsed.method : 'unknown' }
      : undefined;
  return salvageIdentity(text, 'id', 'method');
}

export function lspFramer(sink: LspInputSink): MessageFramer {
  return new MessageFramer({
    identify,
    problem: (p) => sink.refused(p.message, p.request),
    message: (m, body) => {
      if (m.id !== undefined && m.id !== null && !isId(m.id)) {
        sink.refused('a message whose "id" is neither a whole number nor a short string was ignored');
        return;
      }
      if (typeof m.method === 'string') {
        if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null)) {
          sink.refused(`"${m.method}": "params" must be an object or an array`, identify('', m));
          return;
        }
        sink.message(body);
        return;
      }
      if (isId(m.id) && ('result' in m || 'error' in m)) {
        sink.message(body);
        return;
      }
      sink.refused('a message with neither a "method" nor a result was ignored', identify('', m));
    },
  });
}

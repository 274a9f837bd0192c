// The floor of a DAP round trip in Node (bench/dap.ts): a process that answers every request at once with a
// canned response, and a step or continue with a canned stopped event too, through the same stdio, framing
// and single write per request as the real adapter, with no debugger behind it. The bench drives it with the
// same client, interleaved with the adapter and QEMU: the adapter's time above this line is its own work;
// the time up to it is process wake-ups, pipes and Node's event loop, which no Node adapter goes below.
let pending: Buffer = Buffer.alloc(0);
let seq = 1;

type Message = { type: string; [key: string]: unknown };

const FRAME = {
  id: 0,
  name: '.loop',
  source: { name: 'loop.asm', path: '/tmp/loop.asm' },
  line: 9,
  column: 1,
  instructionPointerReference: '0x7C03',
};
const SCOPES = [
  { name: 'Registers', variablesReference: 1, expensive: false, presentationHint: 'registers' },
  { name: 'Segments and system', variablesReference: 2, expensive: false },
  { name: 'Flags', variablesReference: 3, expensive: false },
];
const VARIABLES = ['ax', 'bx', 'cx', 'dx', 'si', 'di', 'bp', 'sp', 'ip', 'cs', 'ds', 'es', 'ss', 'flags'].map(
  (name, i) => ({
    name,
    value: `0x${(i * 0x1111).toString(16).toUpperCase().padStart(4, '0')}`,
    variablesReference: 0,
    memoryReference: `0x${(0x7c00 + i).toString(16).toUpperCase()}`,
  }),
);

function send(messages: Message[]): void {
  let out = '';
  for (const m of messages) {
    const json = JSON.stringify({ ...m, seq: seq++ });
    out += `Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`;
  }
  process.stdout.write(out);
}

function answer(request: { seq: number; command: string }): void {
  const response: Message = { type: 'response', request_seq: request.seq, command: request.command, success: true };
  const out: Message[] = [response];
  const stopped = (reason: string, description: string, more: object = {}): Message => ({
    type: 'event',
    event: 'stopped',
    body: { reason, threadId: 1, description, ...more, allThreadsStopped: true },
  });
  switch (request.command) {
    case 'launch':
      out.push({ type: 'event', event: 'initialized' });
      break;
    case 'configurationDone':
      out.push(stopped('entry', 'Stopped at the boot sector entry (0000:7C00)'));
      break;
    case 'setBreakpoints':
      response.body = { breakpoints: [{ id: 1, verified: true, line: 1 }] };
      break;
    case 'stepIn':
    case 'next':
      out.push(stopped('step', 'Stepped one instruction'));
      break;
    case 'continue':
      response.body = { allThreadsContinued: true };
      out.push(stopped('breakpoint', 'Breakpoint at loop.asm:9', { hitBreakpointIds: [1] }));
      break;
    // The follow-ups VS Code sends after a stop, answered with bodies the size of the adapter's.
    case 'threads':
      response.body = { threads: [{ id: 1, name: 'CPU 0 (software)' }] };
      break;
    case 'stackTrace':
      response.body = { stackFrames: [FRAME], totalFrames: 1 };
      break;
    case 'scopes':
      response.body = { scopes: SCOPES };
      break;
    case 'variables':
      response.body = { variables: VARIABLES };
      break;
  }
  send(out);
  if (request.command === 'disconnect') process.exit(0);
}

process.stdin.on('data', (chunk: Buffer) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  for (;;) {
    const end = pending.indexOf('\r\n\r\n');
    if (end < 0) return;
    const length = Number(/Content-Length: *(\d+)/i.exec(pending.toString('latin1', 0, end))?.[1]);
    if (!Number.isInteger(length) || pending.length < end + 4 + length) return;
    const request = JSON.parse(pending.toString('utf8', end + 4, end + 4 + length)) as { seq: number; command: string };
    pending = pending.subarray(end + 4 + length);
    answer(request);
  }
});
process.stdin.on('end', () => process.exit(0));

// `npm run fuzz:protocol [-- dap|lsp ...]`: fuzzes the DAP and LSP servers' message handling for
// FUZZ_SECONDS each (default 60) and prints executions and executions per second; exits 1 on a failure
// with the reproducer's path. FUZZ_SEED picks the input sequence (default: from the clock).
import { dapTarget, fuzzProtocol, lspTarget, ProtocolTarget } from './protocol-fuzzer';

async function main(): Promise<number> {
  const seconds = Number(process.env.FUZZ_SECONDS ?? 60);
  const seed = Number(process.env.FUZZ_SEED ?? Date.now() & 0x7fffffff);
  const names = process.argv.slice(2).length ? process.argv.slice(2) : ['dap', 'lsp'];
  const targets: Record<string, ProtocolTarget> = { dap: dapTarget, lsp: lspTarget };
  let status = 0;
  for (const name of names) {
    const target = targets[name];
    if (!target) {
      process.stderr.write(`fuzz: unknown protocol target ${name} (dap, lsp)\n`);
      return 2;
    }
    const r = await fuzzProtocol(target, { seconds, seed });
    const rate = r.executions / Math.max(r.seconds, 0.001);
    if (r.failure) {
      process.stderr.write(`fuzz ${name}: FAILED: ${r.failure.message}\nreproducer: ${r.failure.reproducer}\n`);
      status = 1;
    }
    process.stdout.write(
      `fuzz ${name}: ${r.executions} executions in ${r.seconds.toFixed(1)} s (${rate.toFixed(1)} exec/s, seed ${seed}, ${r.restarts} deliberate restarts)${r.failure ? ' FAILED' : ', every probe answered'}\n`,
    );
  }
  return status;
}

main().then(
  (s) => process.exit(s),
  (e) => {
    process.stderr.write(`fuzz: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);

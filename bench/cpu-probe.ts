// Preloaded (node -r) by the start-up bench: reports on stderr the CPU time the process has used when it
// first writes to stdout (the guest's first serial byte), or when it exits having written nothing (the
// `node -e 0` floor). CPU time leaves out the waiting for a core that dominates wall time on a loaded machine
// (it still grows with the load, through shared caches and cores, but far less).
let reported = false;
const report = (): void => {
  if (reported) return;
  reported = true;
  const c = process.cpuUsage();
  process.stderr.write(`\n#cpu-us ${c.user + c.system}\n`);
};
const out = process.stdout;
const write = out.write.bind(out) as (...args: unknown[]) => boolean;
out.write = ((...args: unknown[]): boolean => {
  report();
  return write(...args);
}) as typeof out.write;
process.on('exit', report);

#!/usr/bin/env node
// `bootvisor`: the command-line entry. Parses the arguments, runs, and turns every failure into a one-line
// message on standard error and its exit status. Loads the runner only when there is something to run.
import { HELP, parseArgs } from './args';
import { exitOnSignals, sweepStaleScratch } from '../common/scratch';
import { CliError, ExitStatus } from './exit-codes';

// A hang-up or a kill ends the run through process.exit, so nasm is stopped and temp folders go; Ctrl-C is
// the run's own (it pauses the guest and reports, status 130).
exitOnSignals(['SIGINT'], (signal) =>
  process.stderr.write(`bootvisor: ended by ${signal}; nasm (if it ran) was stopped and temporary folders removed\n`),
);

async function main(argv: string[]): Promise<number> {
  try {
    const command = parseArgs(argv);
    if (command.kind === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (command.kind === 'version') {
      const { packageRoot } = require('../common/binding') as typeof import('../common/binding');
      const pkg = require(require('path').join(packageRoot(), 'package.json')) as { version: string };
      process.stdout.write(`bootvisor ${pkg.version}\n`);
      return 0;
    }
    // A run killed outright (SIGKILL) left its nasm folder behind: the next run removes it.
    sweepStaleScratch('bootvisor-nasm-');
    const { run } = require('./run') as typeof import('./run');
    return await run(command.options, { stdout: process.stdout, stderr: process.stderr });
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`bootvisor: ${e.message}\n`);
      return e.status;
    }
    process.stderr.write(`bootvisor: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 70;
  }
}

// Whoever reads our standard output went away (`bootvisor run ... --serial - | head`): stop quietly, with
// the status a process killed by SIGPIPE has, as other command-line tools do.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(ExitStatus.brokenPipe);
  throw e;
});

main(process.argv.slice(2)).then((status) => {
  // Let pending writes to a piped stdout finish before leaving.
  process.exitCode = status;
  if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(status);
});

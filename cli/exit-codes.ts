// The process exit statuses of `bootvisor run`. Guest outcomes first, then one status per kind of usage
// error (64 and up, after BSD's sysexits where one fits), so scripts can tell them apart.
export const ExitStatus = {
  /** An expectation matched, or the guest halted cleanly (HLT with interrupts off). */
  ok: 0,
  /** An expectation (--expect-serial / --expect-screen) did not match before the guest stopped or time ran out. */
  expectationFailed: 1,
  /** The guest crashed: triple fault (shutdown), an unhandled exception, the vCPU could not go on. */
  guestCrash: 2,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
  /** Standard output was closed by its reader (`... --serial - | head`), as a process killed by SIGPIPE. */
  brokenPipe: 141,
  /** --timeout elapsed or --max-instructions was spent with no expectation given. */
  timeout: 124,
  /** Unknown option, missing or malformed option value. */
  usage: 64,
  /** The image is unusable: empty, not whole 512-byte sectors, no boot signature. */
  badImage: 65,
  /** The image or source file does not exist or cannot be read. */
  noInput: 66,
  /** nasm reported errors in the source. */
  assembly: 67,
  /** nasm is not installed. */
  nasmMissing: 68,
  /** The machine could not be created: the backend asked for is unusable here, or the native addon is missing. */
  unavailable: 69,
  /** An output file (--serial, --debugcon, --screen, --screenshot, --report) cannot be written. */
  cantCreate: 73,
} as const;

/** An error the runner reports in one line and exits with `status`. */
export class CliError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

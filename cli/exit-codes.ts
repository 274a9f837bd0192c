// The process exit statuses of `bootvisor run`. Guest outcomes first, then one status per kind of usage
// error (64 and up, after BSD's sysexits where one fits), so scripts can tell them apart.
export const ExitStatus = {
  /** An expectation matched, or the guest halted cleanly (HLT with interrupts off). */
  ok: 0,
  /** An expectation (--expect-serial / --expect-screen) did not match before the guest stopped or time ran out. */
  expectationFailed: 1,
  /** The guest crashed: triple fault (shutdown), an unhandled exception, the vCPU could not go on. */
  guestCrash: 2,
  /**
   * The guest wrote V to port 0xF4 and QEMU's status for it, (V << 1) | 1, is one of Bootvisor's own or does
   * not fit in 8 bits: the value is in the message and the report (see guestExitStatus).
   */
  guestExitReserved: 4,
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

/**
 * How a guest's write of V to the isa-debug-exit port 0xF4 becomes the process's exit status.
 * - `qemu` (default): (V << 1) | 1, as QEMU's isa-debug-exit, always odd; except that a status Bootvisor
 *   uses itself (1, 65, 67, 69, 73, 141: V = 0, 32, 33, 34, 36, 70) or one above 255 (V >= 128) becomes
 *   guestExitReserved (4), so a status always tells whether the guest or Bootvisor chose it.
 * - `verbatim`: V itself (its low 8 bits, as the system keeps them): the guest owns the whole range and only
 *   the `bootvisor:` message (or the --report) tells a guest's 65 from an unusable image.
 */
export type GuestExitMode = 'qemu' | 'verbatim';

const OWN_STATUSES: ReadonlySet<number> = new Set(Object.values(ExitStatus));

/** The value V the guest wrote, from the stop's QEMU-style code (V << 1) | 1. */
export const guestExitValue = (qemuCode: number): number => Math.floor(Math.max(0, qemuCode - 1) / 2);

export function guestExitStatus(qemuCode: number, mode: GuestExitMode): number {
  const value = guestExitValue(qemuCode);
  if (mode === 'verbatim') return value & 0xff;
  return qemuCode > 255 || OWN_STATUSES.has(qemuCode) ? ExitStatus.guestExitReserved : qemuCode;
}

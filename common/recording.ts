// Recordings (`bootvisor run --record FILE.bvrec`, read back by `--replay` and by the debugger's `replay`
// launch attribute): the machine's input log, the SHA-256 of the image it ran and the settings that decide its
// execution, as JSON. Loading the log into a fresh machine built with the same settings reproduces the run:
// the same stop, screen and serial output, on any host.

import type { InputEvent } from './api';

export const RECORDING_FORMAT = 'bootvisor-recording';

export interface Recording {
  format: typeof RECORDING_FORMAT;
  version: 1;
  image: { sha256: string; bytes: number; name: string };
  settings: { clock: 'fast' | 'paced'; memoryMiB?: number; bootDrive?: number; requireSignature: boolean };
  /** Where the recorded run stopped. */
  end: { reason: string; instructions: number };
  inputs: InputEvent[];
}

/** What is wrong with a recording, in words for the user. */
export class RecordingError extends Error {}

// node:crypto is required here, not at the top: loading it costs a start-up that only recordings need.
export const sha256 = (data: Uint8Array): string =>
  (require('crypto') as typeof import('crypto')).createHash('sha256').update(data).digest('hex');

const KINDS = new Set(['keys', 'serial', 'reset', 'pace', 'mouse']);
const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Parses and checks a recording's text against the image about to run. */
export function parseRecording(text: string, image: Uint8Array): Recording {
  let r: Recording;
  try {
    r = JSON.parse(text) as Recording;
  } catch (e) {
    throw new RecordingError(`not a recording (${(e as Error).message})`);
  }
  if (!r || r.format !== RECORDING_FORMAT || r.version !== 1)
    throw new RecordingError(`not a version 1 ${RECORDING_FORMAT}`);
  if (!r.image || typeof r.image.sha256 !== 'string') throw new RecordingError('it names no image');
  if (!r.end || !isCount(r.end.instructions)) throw new RecordingError('it has no end');
  if (!r.settings || (r.settings.clock !== 'fast' && r.settings.clock !== 'paced'))
    throw new RecordingError('its clock is not fast or paced');
  if (!Array.isArray(r.inputs) || !r.inputs.every((e) => e && isCount(e.at) && KINDS.has(e.kind))) {
    throw new RecordingError('its inputs are malformed');
  }
  const digest = sha256(image);
  if (digest !== r.image.sha256) {
    throw new RecordingError(
      `it was recorded with another image (${r.image.name}, ${r.image.bytes} bytes, SHA-256 ${r.image.sha256.slice(0, 12)}...; ` +
        `this one is ${image.length} bytes, ${digest.slice(0, 12)}...)`,
    );
  }
  return r;
}

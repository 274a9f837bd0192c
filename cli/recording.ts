// Recordings (`--record FILE.bvrec`, `--replay FILE.bvrec`): the machine's input log, the SHA-256 of the image
// it ran and the settings that decide its execution, as JSON. Replaying loads the log into a fresh machine
// built with the same settings and runs it to the recorded instruction count: the same stop, screen and serial
// output, on any host.
import { createHash } from 'crypto';
import * as fs from 'fs';

import type { InputEvent } from '../common/api';
import { CliError, ExitStatus } from './exit-codes';
import { readInputFile } from '../common/input-file';
import { MAX_INPUT_FILE_BYTES } from '../common/limits';

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

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export function writeRecording(file: string, r: Recording): void {
  try {
    fs.writeFileSync(file, JSON.stringify(r) + '\n');
  } catch (e) {
    throw new CliError(ExitStatus.cantCreate, `--record ${file}: cannot write it (${(e as Error).message})`);
  }
}

const KINDS = new Set(['keys', 'serial', 'reset', 'pace']);
const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Reads and checks a recording against the image about to run; a CliError says what does not fit. */
export function readRecording(file: string, image: Uint8Array): Recording {
  const bad = (why: string): CliError => new CliError(ExitStatus.badImage, `--replay ${file}: ${why}`);
  let text: string;
  try {
    text = readInputFile(file, 'a recording', MAX_INPUT_FILE_BYTES).toString('utf8');
  } catch (e) {
    throw new CliError(ExitStatus.noInput, `--replay ${file}: cannot read it (${(e as Error).message})`);
  }
  let r: Recording;
  try {
    r = JSON.parse(text) as Recording;
  } catch (e) {
    throw bad(`not a recording (${(e as Error).message})`);
  }
  if (!r || r.format !== RECORDING_FORMAT || r.version !== 1) throw bad(`not a version 1 ${RECORDING_FORMAT}`);
  if (!r.image || typeof r.image.sha256 !== 'string') throw bad('it names no image');
  if (!r.end || !isCount(r.end.instructions)) throw bad('it has no end');
  if (!r.settings || (r.settings.clock !== 'fast' && r.settings.clock !== 'paced')) throw bad('its clock is not fast or paced');
  if (!Array.isArray(r.inputs) || !r.inputs.every((e) => e && isCount(e.at) && KINDS.has(e.kind))) {
    throw bad('its inputs are malformed');
  }
  const digest = sha256(image);
  if (digest !== r.image.sha256) {
    throw bad(
      `it was recorded with another image (${r.image.name}, ${r.image.bytes} bytes, SHA-256 ${r.image.sha256.slice(0, 12)}...; ` +
        `this one is ${image.length} bytes, ${digest.slice(0, 12)}...)`,
    );
  }
  return r;
}

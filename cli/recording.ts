// `--record FILE.bvrec` and `--replay FILE.bvrec`: the recording format is common/recording.ts; here, the
// files and the exit statuses that say what went wrong.
import * as fs from 'fs';

import { CliError, ExitStatus } from './exit-codes';
import { readInputFile } from '../common/input-file';
import { MAX_INPUT_FILE_BYTES } from '../common/limits';
import { parseRecording, RecordingError, type Recording } from '../common/recording';

export { RECORDING_FORMAT, sha256, type Recording } from '../common/recording';

export function writeRecording(file: string, r: Recording): void {
  try {
    fs.writeFileSync(file, JSON.stringify(r) + '\n');
  } catch (e) {
    throw new CliError(ExitStatus.cantCreate, `--record ${file}: cannot write it (${(e as Error).message})`);
  }
}

/** Reads and checks a recording against the image about to run; a CliError says what does not fit. */
export function readRecording(file: string, image: Uint8Array): Recording {
  let text: string;
  try {
    text = readInputFile(file, 'a recording', MAX_INPUT_FILE_BYTES).toString('utf8');
  } catch (e) {
    throw new CliError(ExitStatus.noInput, `--replay ${file}: cannot read it (${(e as Error).message})`);
  }
  try {
    return parseRecording(text, image);
  } catch (e) {
    if (e instanceof RecordingError) throw new CliError(ExitStatus.badImage, `--replay ${file}: ${e.message}`);
    throw e;
  }
}

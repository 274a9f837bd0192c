// Waiting on a machine's events in tests.
import type { BootvisorMachine } from '../../common/machine';

/** Resolves at the machine's next 'idle' event. */
export const nextIdle = (m: BootvisorMachine): Promise<void> =>
  new Promise((resolve) => {
    const on = (): void => {
      m.off('idle', on);
      resolve();
    };
    m.on('idle', on);
  });

import { VethcapError } from '../errors.js';

/**
 * Turns SIGINT and SIGTERM into an AbortSignal for the duration of a command, so that
 * every stage can stop cleanly (end its tcpdumps, finish its files) instead of the
 * process dying mid-write. A second signal while stopping aborts `urgent` (skip what is
 * not needed, such as a backlog still to read); clean-up still finishes first, and later
 * signals are ignored. `signalName` says which one came first, for the exit code.
 */
export interface Interrupt {
  signal: AbortSignal;
  urgent: AbortSignal;
  signalName(): NodeJS.Signals | undefined;
  /** Throws INTERRUPTED if a signal came. */
  check(): void;
  dispose(): void;
}

/** A signal that comes after the command finished stopping: nothing is left to stop. */
const ignore = (): void => undefined;

export function catchInterrupts(): Interrupt {
  const controller = new AbortController();
  const urgent = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (name: NodeJS.Signals) => {
    if (received) {
      if (!urgent.signal.aborted) urgent.abort(new VethcapError('INTERRUPTED', `stopped by a second ${name}.`));
      return;
    }
    received = name;
    controller.abort(new VethcapError('INTERRUPTED', `stopped by ${name}.`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    urgent: urgent.signal,
    signalName: () => received,
    check() {
      if (received) throw new VethcapError('INTERRUPTED', `stopped by ${received}.`);
    },
    dispose() {
      // Once stopping, the command's end is near: a late second Ctrl-C (a user pressing twice)
      // must not kill vethcap while it prints the summary. Ignored from now on, and put in
      // place before the handler goes: with no listener left for an instant, node would
      // give the signal back its default action (death) in between.
      if (received) {
        process.on('SIGINT', ignore);
        process.on('SIGTERM', ignore);
      }
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Exit code for a signal: 128 + its number (130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(name: NodeJS.Signals): number {
  return name === 'SIGTERM' ? 143 : 130;
}

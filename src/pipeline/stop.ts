/**
 * Why a run stopped. `points-ended`: every capture ended (the files were read to the end, or
 * every tcpdump exited); `targets-gone`: every target's namespace end ended (its container
 * stopped); `output-closed`: the reader of stdout went away (`vethcap trace … | head`).
 */
export type StopReason = 'count' | 'duration' | 'command' | 'signal' | 'targets-gone' | 'points-ended' | 'output-closed';

/**
 * A backlog this large when the stop begins is worth a word (reading it takes a while). Here,
 * not in the runner, so that the CLI has it without loading the runner first.
 */
export const BACKLOG_NOTICE_BYTES = 4 * 1024 * 1024;

/**
 * Something that may ask a run to stop, armed once the window opens: a duration, the end of
 * the command after `--`. The runner disarms every trigger when the run ends, however it ends.
 */
export interface StopTrigger {
  arm(stop: (reason: StopReason) => void, fail: (error: unknown) => void): void;
  disarm(): void;
}

/** `-d S`: stop S seconds after every point is armed. */
export function afterDuration(seconds: number): StopTrigger {
  let timer: NodeJS.Timeout | undefined;
  return {
    arm(stop) {
      timer = setTimeout(() => stop('duration'), seconds * 1000);
    },
    disarm() {
      clearTimeout(timer);
    },
  };
}

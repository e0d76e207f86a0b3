import type { ErrorCode } from '../errors.js';

/**
 * Exit codes. Documented in README.md ("Exit codes"); scripts depend on them, so a
 * number never changes meaning.
 */
export const EXIT = {
  OK: 0,
  /** verify: the bridge did not forward what it should have. */
  FORWARDING_FAILED: 1,
  USAGE: 2,
  /** The target does not exist, is ambiguous, stopped, or has no namespace to look at. */
  TARGET: 3,
  /** Something vethcap needs is missing: a tool, the Docker daemon, containerd. */
  ENVIRONMENT: 4,
  /** Not enough privileges. */
  PERMISSION: 5,
  /** A capture point or a command vethcap ran failed. */
  CAPTURE: 6,
  /** A capture file could not be read, or an output file written. */
  FILE: 7,
  /**
   * verify: no loss seen, but capture points dropped copies in the kernel, so some packets'
   * delivery is unknown: neither a pass nor a failure. Retry with a bigger -B or fewer probes.
   */
  UNDETERMINED: 8,
  /** A bug in vethcap: an error it did not expect. */
  INTERNAL: 70,
  /** Ended by SIGINT (Ctrl-C); SIGTERM gives 143. */
  INTERRUPTED: 130,
  /** Stopped because the reader of stdout went away (`| head`), as a tool killed by SIGPIPE. */
  OUTPUT_CLOSED: 141,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'USAGE':
      return EXIT.USAGE;
    case 'TARGET_NOT_FOUND':
    case 'TARGET_AMBIGUOUS':
    case 'TARGET_NOT_RUNNING':
    case 'TARGET_UNSUPPORTED':
      return EXIT.TARGET;
    case 'DOCKER_UNAVAILABLE':
    case 'RUNTIME_UNAVAILABLE':
    case 'MISSING_TOOL':
      return EXIT.ENVIRONMENT;
    case 'PERMISSION':
      return EXIT.PERMISSION;
    case 'COMMAND_FAILED':
    case 'CAPTURE_FAILED':
      return EXIT.CAPTURE;
    case 'BAD_CAPTURE':
    case 'IO':
      return EXIT.FILE;
    case 'INTERRUPTED':
      return EXIT.INTERRUPTED;
    case 'INTERNAL':
      return EXIT.INTERNAL;
  }
}

/**
 * Every error a user can hit is a VethcapError with a stable code. The code is the
 * API (tests and scripts match on it); the message is one sentence that says what
 * happened and what to do. Only the CLI maps codes to exit codes. A mistake of the
 * user's (flags, input files) always has a code of its own; INTERNAL, and any other
 * exception, means a bug in vethcap.
 */

export const ERROR_CODES = {
  /** Wrong flags or arguments. */
  USAGE: 'USAGE',
  /** No container, process or namespace by that name. */
  TARGET_NOT_FOUND: 'TARGET_NOT_FOUND',
  /** An ID prefix that matches more than one container. */
  TARGET_AMBIGUOUS: 'TARGET_AMBIGUOUS',
  /** The target exists but is not running. */
  TARGET_NOT_RUNNING: 'TARGET_NOT_RUNNING',
  /** The target has no network namespace of its own to look at (host or none mode, ...). */
  TARGET_UNSUPPORTED: 'TARGET_UNSUPPORTED',
  /** The Docker daemon could not be reached or answered with an error. */
  DOCKER_UNAVAILABLE: 'DOCKER_UNAVAILABLE',
  /** Another container runtime (containerd) could not be reached: no socket, or no answer on it. */
  RUNTIME_UNAVAILABLE: 'RUNTIME_UNAVAILABLE',
  /** A program vethcap needs (tcpdump, nsenter, ip, ...) is not installed. */
  MISSING_TOOL: 'MISSING_TOOL',
  /** Not root and without CAP_SYS_ADMIN / CAP_NET_RAW. */
  PERMISSION: 'PERMISSION',
  /** A program vethcap ran failed in a way the user cannot fix by flags. */
  COMMAND_FAILED: 'COMMAND_FAILED',
  /** A capture file that cannot be read. */
  BAD_CAPTURE: 'BAD_CAPTURE',
  /** A capture point failed to start (bad filter, missing interface). */
  CAPTURE_FAILED: 'CAPTURE_FAILED',
  /** A file could not be read or written. */
  IO: 'IO',
  /** Interrupted by SIGINT/SIGTERM. */
  INTERRUPTED: 'INTERRUPTED',
  /**
   * A broken invariant inside vethcap: a bug, never something the user typed or fed in.
   * Anything thrown that is not a VethcapError is reported as one too.
   */
  INTERNAL: 'INTERNAL',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export interface VethcapErrorOptions {
  /** What the user can do about it, printed after the message. */
  hint?: string;
  /** The underlying error. */
  cause?: unknown;
  /** The command line of a child process that failed, for the error report. */
  command?: string;
  /** The relevant stderr of that child. */
  stderr?: string;
}

export class VethcapError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly command: string | undefined;
  readonly stderr: string | undefined;

  constructor(code: ErrorCode, message: string, options: VethcapErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VethcapError';
    this.code = code;
    this.hint = options.hint;
    this.command = options.command;
    this.stderr = options.stderr;
  }
}

export function isVethcapError(error: unknown): error is VethcapError {
  return error instanceof VethcapError;
}

/**
 * A failed file operation in words ("no such directory", "no space left on the device")
 * instead of Node's "ENOENT: no such file or directory, open '…'". `missing` is what
 * ENOENT means where it happened (a file to read, the directory of a file to write).
 */
export function ioReason(error: unknown, missing = 'no such file or directory'): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : '';
  switch (code) {
    case 'ENOENT':
      return missing;
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EROFS':
      return 'read-only file system';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

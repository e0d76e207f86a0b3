import { isVethcapError, type ErrorCode } from '../errors.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

const BUG_HINT = 'this is a bug in vethcap; run again with VETHCAP_DEBUG=1 and report the output.';

export interface ErrorReport {
  /** Lines for stderr, without trailing newlines; the first is `vethcap: [CODE] message`. */
  lines: string[];
  exitCode: number;
  /** The same error as data, for stdout under --json (docs/json.md, "Errors"). */
  json: ErrorJson;
}

/** `{"error": {...}}`: the last line on stdout of a command run with --json that failed. */
export interface ErrorJson {
  error: {
    code: ErrorCode;
    /** The sentence after the code on stderr. Wording may change; match `code`. */
    message: string;
    /** What to do about it, when vethcap knows. */
    hint?: string;
  };
}

/**
 * Turns any thrown value into what the user sees: one sentence led by the error's code,
 * a hint, the failing command's relevant stderr, and an exit code. A stack trace only
 * with VETHCAP_DEBUG=1.
 */
export function formatError(error: unknown, debug = false): ErrorReport {
  if (isVethcapError(error) && error.code !== 'INTERNAL') {
    const lines = [`vethcap: [${error.code}] ${error.message}`];
    if (error.hint) lines.push(`  hint: ${error.hint}`);
    if (error.command) lines.push(`  command: ${error.command}`);
    if (error.stderr) {
      const tail = error.stderr.trim().split('\n').filter(Boolean).slice(-5);
      for (const line of tail) lines.push(`  | ${line}`);
    }
    if (debug && error.stack) lines.push(error.stack);
    return { lines, exitCode: exitCodeFor(error.code), json: errorJson(error.code, error.message, error.hint) };
  }
  // A broken invariant (code INTERNAL) or an exception nobody expected: both are bugs.
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`vethcap: [INTERNAL] internal error: ${message}`, `  hint: ${BUG_HINT}`];
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  return { lines, exitCode: EXIT.INTERNAL, json: errorJson('INTERNAL', message, BUG_HINT) };
}

function errorJson(code: ErrorCode, message: string, hint: string | undefined): ErrorJson {
  return { error: { code, message, ...(hint ? { hint } : {}) } };
}

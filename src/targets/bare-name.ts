/**
 * A bare name (no prefix) is looked up in every runtime present; this decides what the
 * answers mean. Pure: the look-ups are in src/resolve/bare-name.ts.
 */
import { VethcapError } from '../errors.js';
import { TargetNotFound } from './suggest.js';

/** One runtime's (or one containerd namespace's) answer for the name, in priority order. */
export interface RuntimeAnswer<T> {
  /** For messages: Docker, Podman, containerd namespace default, ... */
  runtime: string;
  /** The explicit spec that names the same thing: docker:web, podman:web, containerd:default/web. */
  spec: string;
  /** The target found, with its network namespace's inode; or why not. */
  result: { ok: true; value: T; inode: number } | { ok: false; error: unknown };
}

/** Errors that say the runtime has the name but it cannot be used as is: still a candidate. */
const HAS_IT = new Set(['TARGET_NOT_RUNNING', 'TARGET_UNSUPPORTED', 'TARGET_AMBIGUOUS']);

const codeOf = (error: unknown): string | undefined => (error instanceof VethcapError ? error.code : undefined);

/**
 * The one target a bare name means, given every runtime's answer (in priority order:
 * Docker, Podman, containerd). Runtimes showing the same network namespace (same inode)
 * agree on one target, the first's. Throws, with a code:
 * - TARGET_AMBIGUOUS when distinct targets have the name, listing their prefixed specs;
 * - the one runtime's own error when only one had it (not running, host mode, ...);
 * - TARGET_NOT_FOUND when none has it and all answered (one runtime: its own words);
 * - a runtime's failure when none has it and that runtime did not answer (it may hold it):
 *   its own error when it is the only one, else RUNTIME_UNAVAILABLE (PERMISSION when every
 *   failure was a refused socket) naming each;
 * - RUNTIME_UNAVAILABLE when no runtime was there to ask.
 */
export function chooseAmongRuntimes<T>(ref: string, answers: ReadonlyArray<RuntimeAnswer<T>>, absent: readonly string[] = []): T {
  const found: Array<RuntimeAnswer<T>> = [];
  const inodes = new Set<number>();
  for (const a of answers) {
    if (a.result.ok) {
      if (inodes.has(a.result.inode)) continue;
      inodes.add(a.result.inode);
      found.push(a);
    } else if (HAS_IT.has(codeOf(a.result.error) ?? '')) found.push(a);
  }
  if (found.length === 1) {
    const only = found[0]!.result;
    if (only.ok) return only.value;
    throw only.error;
  }
  if (found.length > 1) {
    const specs = found.map((a) => a.spec);
    throw new VethcapError('TARGET_AMBIGUOUS', `${ref} names ${found.length} containers in different runtimes: ${specs.join(', ')}.`, {
      hint: `name one with its prefix, e.g. ${specs[0]}.`,
    });
  }
  if (answers.length === 0) {
    throw new VethcapError('RUNTIME_UNAVAILABLE', `no container runtime answers here to look ${ref} up: ${absent.length ? `there is no ${absent.join(', no ')}` : 'none is installed'}.`, {
      hint: 'start Docker, Podman\'s service or containerd; without one, name a process as pid:N or a namespace as netns:NAME.',
    });
  }
  const failed = answers.filter((a) => !a.result.ok && codeOf(a.result.error) !== 'TARGET_NOT_FOUND');
  if (failed.length === 1) throw (failed[0]!.result as { error: unknown }).error;
  if (failed.length > 1) {
    const why = failed.map((a) => `${a.runtime}: ${messageOf((a.result as { error: unknown }).error)}`).join('; ');
    const allRefused = failed.every((a) => codeOf((a.result as { error: unknown }).error) === 'PERMISSION');
    throw new VethcapError(allRefused ? 'PERMISSION' : 'RUNTIME_UNAVAILABLE', `no container runtime answers to look ${ref} up: ${why}.`, {
      hint: allRefused ? 'run vethcap as root.' : 'start one of them (see each one\'s reason); without one, name a process as pid:N or a namespace as netns:NAME.',
    });
  }
  if (answers.length === 1) throw (answers[0]!.result as { error: unknown }).error;
  const suggestions = [...new Set(answers.flatMap((a) => (!a.result.ok && a.result.error instanceof TargetNotFound ? a.result.error.suggestions : [])))].slice(0, 3);
  const runtimes = [...new Set(answers.map((a) => a.runtime.replace(/ namespace .*$/, '')))];
  throw new TargetNotFound(`no container named ${ref} in ${listed(runtimes)}${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : '.'}`, suggestions, {
    hint: 'name a container, or a process as pid:N, or a namespace as netns:NAME; docker:, podman: and containerd:NAMESPACE/ look in one runtime only.',
  });
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\.$/, '');
}

function listed(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)!}`;
}

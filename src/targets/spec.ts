import { VethcapError } from '../errors.js';

/** What the user named on the command line. */
export type TargetSpec = (
  | { kind: 'docker'; ref: string; raw: string }
  | { kind: 'pid'; pid: number; raw: string }
  | { kind: 'netns'; name: string; raw: string }
) & {
  /** A display name the user chose (`NAME=SPEC`), used in labels instead of the default. */
  alias?: string;
};

/**
 * `pid:N`, `netns:NAME`, `docker:REF`, or a bare container name / ID prefix, optionally
 * named for the labels as `NAME=SPEC` (e.g. `db=pid:4242`). Pure.
 */
export function parseTargetSpec(raw: string): TargetSpec {
  const aliased = /^([A-Za-z][\w.-]*)=(.+)$/.exec(raw.trim());
  if (aliased) return { ...parseTargetSpec(aliased[2]!), raw, alias: aliased[1]! };
  const text = raw.trim();
  if (text === '') throw new VethcapError('USAGE', 'an empty target: name a container, pid:N or netns:NAME.');
  const colon = text.indexOf(':');
  const prefix = colon > 0 ? text.slice(0, colon) : '';
  const rest = text.slice(colon + 1);
  switch (prefix) {
    case 'pid': {
      if (!/^[1-9]\d*$/.test(rest)) {
        throw new VethcapError('USAGE', `"${raw}" is not a process: write pid:N with N a process ID, e.g. pid:4242.`);
      }
      return { kind: 'pid', pid: Number(rest), raw };
    }
    case 'netns': {
      if (!/^[\w.-]+$/.test(rest) || rest === '.' || rest === '..') {
        throw new VethcapError('USAGE', `"${raw}" is not a namespace name: write netns:NAME as \`ip netns list\` shows it.`);
      }
      return { kind: 'netns', name: rest, raw };
    }
    case 'docker':
      if (rest.trim() === '') throw new VethcapError('USAGE', `"${raw}" names no container: write docker:NAME or docker:ID.`);
      return { kind: 'docker', ref: rest, raw };
    default:
      return { kind: 'docker', ref: text, raw };
  }
}

import { VethcapError } from '../errors.js';

/** What the user named on the command line. */
export type TargetSpec = (
  /** A bare name or ID prefix: looked up in every runtime present (Docker, Podman, containerd). */
  | { kind: 'name'; ref: string; raw: string }
  | { kind: 'docker'; ref: string; raw: string }
  /** A rootful Podman container, by name, full ID or unique ID prefix. */
  | { kind: 'podman'; ref: string; raw: string }
  | { kind: 'pid'; pid: number; raw: string }
  | { kind: 'netns'; name: string; raw: string }
  /** A containerd task: its containerd namespace (default, k8s.io, ...) and container ID or unique ID prefix. */
  | { kind: 'containerd'; namespace: string; ref: string; raw: string }
  /** A Kubernetes pod on this node, by its Kubernetes namespace and name. */
  | { kind: 'pod'; namespace: string; name: string; raw: string }
) & {
  /** A display name the user chose (`NAME=SPEC`), used in labels instead of the default. */
  alias?: string;
};

/** containerd's rule for its namespace names (identifiers.Validate): labels of [A-Za-z0-9_-], dot-separated. */
const CONTAINERD_NAMESPACE = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/;
/** containerd's rule for container IDs: alphanumerics, then . _ - too, at most 76 characters. */
const CONTAINERD_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,75}$/;
/** Kubernetes: a namespace is a DNS label (RFC 1123), a pod name a DNS subdomain. */
const K8S_NAMESPACE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const K8S_POD_NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * `pid:N`, `netns:NAME`, `docker:REF`, `podman:REF`, `containerd:NAMESPACE/ID`,
 * `pod:NAMESPACE/NAME`, or a bare container name / ID prefix (any runtime's), optionally
 * named for the labels as `NAME=SPEC` (e.g. `db=pid:4242`). Pure.
 */
export function parseTargetSpec(raw: string): TargetSpec {
  const aliased = /^([A-Za-z][\w.-]*)=(.+)$/.exec(raw.trim());
  if (aliased) return { ...parseTargetSpec(aliased[2]!), raw, alias: aliased[1]! };
  const text = raw.trim();
  if (text === '') throw new VethcapError('USAGE', 'an empty target: name a container, pid:N, netns:NAME, podman:NAME, containerd:NAMESPACE/ID or pod:NAMESPACE/NAME.');
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
    case 'podman':
      if (rest.trim() === '') throw new VethcapError('USAGE', `"${raw}" names no container: write podman:NAME or podman:ID.`);
      return { kind: 'podman', ref: rest, raw };
    case 'containerd': {
      const slash = rest.indexOf('/');
      const namespace = slash > 0 ? rest.slice(0, slash) : '';
      const ref = rest.slice(slash + 1);
      if (slash <= 0 || !CONTAINERD_NAMESPACE.test(namespace) || !CONTAINERD_ID.test(ref)) {
        throw new VethcapError('USAGE', `"${raw}" is not a containerd task: write containerd:NAMESPACE/ID, e.g. containerd:default/web or containerd:k8s.io/3f9a (\`ctr -n NAMESPACE tasks ls\` lists them).`);
      }
      return { kind: 'containerd', namespace, ref, raw };
    }
    case 'pod': {
      const slash = rest.indexOf('/');
      const namespace = slash > 0 ? rest.slice(0, slash) : '';
      const name = rest.slice(slash + 1);
      if (slash <= 0 || !K8S_NAMESPACE.test(namespace) || !K8S_POD_NAME.test(name)) {
        throw new VethcapError('USAGE', `"${raw}" is not a pod: write pod:NAMESPACE/NAME as \`kubectl get pods -A\` shows them, e.g. pod:default/web.`);
      }
      return { kind: 'pod', namespace, name, raw };
    }
    default:
      return { kind: 'name', ref: text, raw };
  }
}

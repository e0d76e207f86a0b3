/**
 * What `ctr` (containerd 1.6's own client) prints, read into values. Pure: the look-ups
 * that run ctr are in containerd.ts. ctr rather than containerd's gRPC API: it is in the
 * same Debian package as containerd, and speaking gRPC from Node would need a protobuf
 * stack (@grpc/grpc-js and containerd's .proto files) for three read-only calls.
 */

/** Where containerd listens by default (ctr's own default too). */
export const CONTAINERD_DEFAULT_ADDRESS = '/run/containerd/containerd.sock';

/** kubelet's labels on every container of a pod (sandbox and app containers alike). */
export const POD_NAME_LABEL = 'io.kubernetes.pod.name';
export const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';
/** containerd's CRI plugin marks a pod's sandbox (the holder of its network namespace) with this. */
export const CRI_KIND_LABEL = 'io.cri-containerd.kind';

/**
 * The socket path ctr is to dial: CONTAINERD_ADDRESS as ctr reads it (a path, or
 * unix://PATH), else the default. Pure.
 */
export function containerdAddress(env: NodeJS.ProcessEnv): string {
  const given = env.CONTAINERD_ADDRESS;
  if (given === undefined || given.trim() === '') return CONTAINERD_DEFAULT_ADDRESS;
  return given.trim().replace(/^unix:\/\//, '');
}

export interface TaskRow {
  id: string;
  /** The task's init process on the host; 0 when it is not running. */
  pid: number;
  /** RUNNING, STOPPED, PAUSED, CREATED, ... as containerd says it. */
  status: string;
}

/** `ctr tasks ls`: a header (TASK PID STATUS), then one row per task. Pure. */
export function parseTaskList(text: string): TaskRow[] {
  const rows: TaskRow[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 3 || cols[0] === 'TASK') continue;
    const pid = Number(cols[1]);
    if (!Number.isInteger(pid) || pid < 0) continue;
    rows.push({ id: cols[0]!, pid, status: cols[2]! });
  }
  return rows;
}

/** Output of a `-q` listing (`ctr namespaces ls -q`, `ctr containers ls -q`): one name a line. Pure. */
export function parseQuietList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

/** The labels in `ctr containers info ID` (the container record as JSON). Pure. */
export function parseContainerLabels(json: string): Record<string, string> {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return {};
  }
  const labels = typeof data === 'object' && data !== null && 'Labels' in data ? (data as { Labels: unknown }).Labels : undefined;
  const out: Record<string, string> = {};
  if (typeof labels !== 'object' || labels === null) return out;
  for (const [key, value] of Object.entries(labels)) if (typeof value === 'string') out[key] = value;
  return out;
}

/**
 * A filter for `ctr containers ls` that keeps a pod's containers: kubelet's two labels,
 * values quoted (pod names hold dots and dashes). The names were checked by the target
 * parser (DNS labels and subdomains), so no quote can appear in them. Pure.
 */
export function podFilter(namespace: string, name: string, sandboxOnly = false): string {
  const parts = [`labels."${POD_NAME_LABEL}"=="${name}"`, `labels."${POD_NAMESPACE_LABEL}"=="${namespace}"`];
  if (sandboxOnly) parts.push(`labels."${CRI_KIND_LABEL}"=="sandbox"`);
  return parts.join(',');
}

/** A display name for a containerd ID: a 64-hex ID shortened to 12, as docker does; else as is. Pure. */
export function shortId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id;
}

/**
 * Matches a task by exact ID or unique ID prefix among the tasks of a namespace. Returns
 * the match, or the candidates when the prefix names several. Pure.
 */
export function matchTask(tasks: readonly TaskRow[], ref: string): { match?: TaskRow; candidates: TaskRow[] } {
  const exact = tasks.find((t) => t.id === ref);
  if (exact) return { match: exact, candidates: [exact] };
  const prefixed = tasks.filter((t) => t.id.startsWith(ref));
  return prefixed.length === 1 ? { match: prefixed[0]!, candidates: prefixed } : { candidates: prefixed };
}

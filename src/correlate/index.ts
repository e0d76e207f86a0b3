export { Correlator, type CorrelateOptions, type CorrelateStats, type PathSink } from './correlator.js';
export { CorrelationSession, type CorrelationOptions } from './session.js';
export { PathBuilder, buildPath } from './build-path.js';
export { fingerprint } from './fingerprint.js';
export { InvariantKey, sameInvariants } from './invariant-key.js';
export { directionAt, tieRank } from './direction.js';
export { TopologyIndex, fileTopology, type PointInfo } from './topology-index.js';
export type { Loss, MacRewrite, NatRewrite, PacketPath, PathBranch, PathCopy, TtlChange } from './path.js';
export { hopBefore, isLastOnBranch } from './branches.js';

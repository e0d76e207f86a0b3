/**
 * vethcap as a library: the stages without the CLI.
 */
export * from './errors.js';
export * from './model/time.js';
export * from './model/record.js';
export * from './model/topology.js';
export * from './model/findings.js';
export * from './pcap/index.js';
export { readCaptureFile, readCaptureStream, readAllEvents, READ_CHUNK_BYTES } from './sources/read-capture.js';
export { openFileSink, writableSink, defaultOsName, type CaptureSink } from './sinks/capture-sink.js';
export * from './decode/index.js';
export * from './merge/index.js';
export * from './correlate/index.js';
export * from './render/index.js';
export type { SessionManifest, SessionManifestV1, SessionManifestV2, SessionPoint, SessionWindow, SessionStopReason, SavedCoverage, SavedDropInterval, SavedStats } from './model/manifest.js';
export { parseSessionManifest } from './sources/session-manifest.js';
// The stages with I/O: resolve, plan, capture, trace, verify, merge of files.
export { resolveTargets, type ResolveOptions } from './resolve/resolve.js';
export type * from './resolve/types.js';
export { parseTargetSpec, type TargetSpec } from './targets/spec.js';
export { planPoints, type PlannedPoint, type PlanOptions } from './plan/plan.js';
export { CaptureSession, type PointCapture, type SessionResult } from './capture/capture-session.js';
export { TcpdumpProcess, type TcpdumpOptions } from './capture/tcpdump.js';
export type { CaptureStats } from './capture/tcpdump-output.js';
export { trace, type TraceOptions, type TraceResult } from './trace/trace.js';
export { verify, type VerifyOptions, type VerifyResult } from './verify/verify.js';
// verify's findings: decide on these codes (docs/json.md, "vethcap verify --json"), not on the words.
export { HINT_CODES, type HintCode, type HintFinding } from './verify/hint-findings.js';
export { LOSS_CAUSE_CODES, PROBLEM_CODES, type LossCause, type LossCauseCode, type ProblemCode, type VerdictProblem } from './verify/verdict-findings.js';
export type { Verdict, VerdictFacts, LossReport, DescribedLoss } from './verify/verdict.js';
export { mergeFiles, type MergeResult } from './offline/merge-files.js';
export { PathOutput, type PathOutputOptions } from './sinks/path-output.js';
export { OrderedPcapngWriter } from './sinks/ordered-pcapng.js';
export { openOutputFile, type OutputFile } from './sinks/output-file.js';
export { SessionFolder, type SessionCloseInfo } from './sinks/session-folder.js';
export { createLab, type Lab, type LabHost, type LabOptions } from './lab/lab.js';

export { TimestampMerge, type MergeOptions, type MergeStats, type RecordSink } from './timestamp-merge.js';

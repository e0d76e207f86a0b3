export { TimelineRenderer, renderTimeline, type TimelineOptions } from './timeline.js';
export { pathToJson, renderPathJson, type HopJson, type PathJson } from './ndjson.js';
export { SummaryCollector, renderSummaryText, type HopLatency, type RunSummary } from './run-summary.js';
export { packetComment } from './comment.js';
export { findingText } from './findings.js';
export { copyNote } from './notes.js';
export { formatClock, formatDirection, formatDuration, type TimeZone } from './format.js';
export { paint, type Paint } from './ansi.js';

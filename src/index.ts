/**
 * vethcap as a library: the stages without the CLI.
 */
export * from './errors.js';
export * from './model/time.js';
export * from './model/record.js';
export * from './model/topology.js';
export * from './pcap/index.js';
export * from './decode/index.js';
export * from './merge/index.js';
export * from './correlate/index.js';
export * from './render/index.js';

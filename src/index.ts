/**
 * vethcap as a library: the stages without the CLI.
 */
export * from './errors.js';
export * from './model/time.js';
export * from './model/record.js';
export * from './model/topology.js';
export * from './pcap/index.js';

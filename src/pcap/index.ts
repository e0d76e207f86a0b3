/** The capture-file codec: pcap/pcapng reader, pcapng and pcap writers, link-layer helper. */
export * from './events.js';
export { CaptureParser, MAX_RECORD_BYTES } from './parser.js';
export { readCaptureFile, readCaptureStream, readAllEvents, READ_CHUNK_BYTES } from './read.js';
export {
  PcapngWriter, interfacesFromPoints, VETHCAP_USER_APPL, DEFAULT_SNAPLEN,
  type PcapngInterfaceSpec, type PcapngWriterOptions, type WritablePacket, type InterfaceStatsInput,
} from './pcapng-writer.js';
export { PcapWriter, PCAP_LOSS_WARNING, pcapLossWarning, type PcapWriterOptions } from './pcap-writer.js';
export { openFileSink, writableSink, defaultOsName, type CaptureSink } from './sink.js';
export { tsResolution, unitsToTs, classicToTs, nsToUnits64, type TsResolution } from './timestamp.js';

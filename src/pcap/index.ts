/** The capture-file codec, pure (no I/O): pcap/pcapng parser, pcapng and pcap writers, timestamps. Files are read in sources/read-capture.ts and written through sinks/capture-sink.ts. */
export * from './events.js';
export { CaptureParser, MAX_RECORD_BYTES } from './parser.js';
export {
  PcapngWriter, interfacesFromPoints, VETHCAP_USER_APPL, DEFAULT_SNAPLEN,
  type PcapngInterfaceSpec, type PcapngWriterOptions, type WritablePacket, type InterfaceStatsInput,
} from './pcapng-writer.js';
export { PcapWriter, PCAP_LOSS_WARNING, pcapLossWarning, type PcapWriterOptions } from './pcap-writer.js';
export { tsResolution, unitsToTs, classicToTs, nsToUnits64, type TsResolution } from './timestamp.js';

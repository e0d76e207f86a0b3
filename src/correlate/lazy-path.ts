import { decodeFrame } from '../decode/decode-frame.js';
import { DecodedFrame } from '../decode/frame.js';
import { protocolName, summarizeFrame } from '../decode/summary.js';
import type { CaptureRecord, Direction } from '../model/record.js';
import type { PointRole } from '../model/topology.js';
import type { Timestamp } from '../model/time.js';
import type { ExpectedPath } from './expected-path.js';
import type { Loss, MacRewrite, NatRewrite, NotCaptured, PacketPath, PathBranch, PathCopy, PathVerdict, TtlChange } from './path.js';

/** Shared empty list for the annotations most paths do not have (saves an allocation per path). */
export const NONE: readonly never[] = Object.freeze([]);

/** Where summaries are decoded when nobody asked for the frame itself (no allocation per path). */
const SCRATCH = new DecodedFrame();

/** A PathCopy that decodes its frame only when someone reads it. */
export class LazyPathCopy implements PathCopy {
  private decoded: DecodedFrame | undefined;

  constructor(
    readonly record: CaptureRecord,
    readonly label: string,
    readonly role: PointRole,
    readonly direction: Direction,
    readonly directionInferred: boolean,
    readonly hop: number,
    readonly deltaNs: number | null,
    readonly observedAfterNs: number | null,
    readonly branch: string | null = null,
  ) {}

  get point(): number {
    return this.record.point;
  }

  get ts(): Timestamp {
    return this.record;
  }

  get frame(): DecodedFrame {
    this.decoded ??= decodeFrame(this.record.data, this.record.linkType);
    return this.decoded;
  }

  /** The frame if already decoded, else decoded into a shared scratch object valid until the next call. */
  peekFrame(): DecodedFrame {
    return this.decoded ?? decodeFrame(this.record.data, this.record.linkType, SCRATCH);
  }
}

/** A PacketPath whose summary and protocol name are made on first use. */
export class LazyPacketPath implements PacketPath {
  private summaryText: string | undefined;
  private protocolText: string | undefined;
  hopCount = 0;
  expected: readonly string[] | null = null;
  complete: boolean | null = null;
  lost: Loss | null = null;
  losses: readonly Loss[] = NONE;
  notSeen: readonly string[] = NONE;
  ambiguousAt: readonly string[] = NONE;
  flooded: readonly string[] = NONE;
  branches: readonly PathBranch[] = NONE;
  nat: readonly NatRewrite[] = NONE;
  ttl: readonly TtlChange[] = NONE;
  macRewrites: readonly MacRewrite[] = NONE;
  verdict: PathVerdict | null = null;
  notCaptured: readonly NotCaptured[] = NONE;
  expectation: ExpectedPath | null = null;

  constructor(
    readonly id: number,
    public length: number,
    public copies: PathCopy[],
  ) {}

  get summary(): string {
    this.summaryText ??= summarizeFrame(this.firstFrame());
    return this.summaryText;
  }

  get protocol(): string {
    this.protocolText ??= protocolName(this.firstFrame());
    return this.protocolText;
  }

  private firstFrame(): DecodedFrame {
    const first = this.copies[0]!;
    return first instanceof LazyPathCopy ? first.peekFrame() : first.frame;
  }
}

/**
 * One place that knows how this node wraps and unwraps what it sends: dialect (cluster name),
 * keyring, gossip label and compression, for packets and for streams.
 */
import { decodePacket, encodeCompound, encodePacket, type DecodedPacket } from './codec.js';
import { encryptOverhead, type EncryptionVersion } from './encryption.js';
import type { Keyring } from './keyring.js';
import { labelOverhead } from './label.js';
import type { WireDialect } from './messages.js';
import { DEFAULT_STREAM_LIMITS, encodeStream, readStream, type StreamCursor, type StreamLimits, type StreamMessage, type StreamReadResult } from './push-pull.js';
import type { WireResult } from './wire-result.js';

export interface WireSettings {
  readonly dialect: WireDialect;
  /** Encrypts everything with the primary key and accepts any key of the ring; null: plaintext. */
  readonly keyring: Keyring | null;
  /** memberlist GossipVerifyIncoming: with a keyring, drop what is not encrypted. Default true. */
  readonly verifyIncoming?: boolean;
  /** Gossip label; '' (the default) sends none, as memberlist before 0.3 and the Go Sidecar. */
  readonly label?: string;
  /** LZW-compress when smaller (memberlist EnableCompression). Default true. */
  readonly compress?: boolean;
}

/** memberlist compoundHeaderOverhead and compoundOverhead. */
export const COMPOUND_HEADER_OVERHEAD_BYTES = 2;
export const COMPOUND_PART_OVERHEAD_BYTES = 2;
/** CRC header a packet to a peer with protocol ≥ 5 gets. */
const CRC_OVERHEAD_BYTES = 5;

export class WireCodec {
  private readonly encryptionVersion: EncryptionVersion = 1;
  readonly label: string;
  readonly compress: boolean;

  /** `streamLimits`: what a peer's stream may declare and inflate to (default {@link DEFAULT_STREAM_LIMITS}). */
  constructor(
    readonly settings: WireSettings,
    private readonly streamLimits: StreamLimits = DEFAULT_STREAM_LIMITS,
  ) {
    this.label = settings.label ?? '';
    this.compress = settings.compress ?? true;
  }

  get dialect(): WireDialect {
    return this.settings.dialect;
  }

  /** Bytes of a UDP packet taken by label, encryption and CRC (what broadcasts cannot use). */
  get packetOverheadBytes(): number {
    return labelOverhead(this.label) + (this.settings.keyring ? encryptOverhead(this.encryptionVersion) : 0) + CRC_OVERHEAD_BYTES;
  }

  /**
   * The packets carrying `messages` (one message is sent bare, several as compounds of at most
   * 255 parts). `peerMaxProtocol` ≥ 5 adds the CRC header.
   */
  encodePackets(messages: readonly Uint8Array[], peerMaxProtocol: number): Uint8Array[] {
    const bodies = messages.length === 1 ? [messages[0] as Uint8Array] : encodeCompound(messages);
    return bodies.map((body) =>
      encodePacket(body, {
        compress: this.compress,
        crc: peerMaxProtocol >= 5,
        keyring: this.settings.keyring,
        encryptionVersion: this.encryptionVersion,
        label: this.label,
      }),
    );
  }

  decodePacket(data: Uint8Array): WireResult<DecodedPacket> {
    return decodePacket(data, {
      dialect: this.settings.dialect,
      keyring: this.settings.keyring,
      verifyIncoming: this.settings.verifyIncoming ?? true,
      label: this.label,
    });
  }

  encodeStream(msg: StreamMessage): Uint8Array {
    return encodeStream(msg, {
      dialect: this.settings.dialect,
      compress: this.compress,
      keyring: this.settings.keyring,
      encryptionVersion: this.encryptionVersion,
      label: this.label,
    });
  }

  /** `cursor`: the same object on each call for one stream (see {@link StreamCursor}). */
  readStream(buf: Uint8Array, cursor?: StreamCursor): StreamReadResult {
    return readStream(buf, {
      dialect: this.settings.dialect,
      keyring: this.settings.keyring,
      verifyIncoming: this.settings.verifyIncoming ?? true,
      label: this.label,
      limits: this.streamLimits,
      ...(cursor === undefined ? {} : { cursor }),
    });
  }
}

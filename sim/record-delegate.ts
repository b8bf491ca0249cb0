/**
 * The simulator's membership delegate: it carries records the way the Go Sidecar's
 * replication carries services, in miniature. A record is one JSON object with an `ID` and a
 * `Version`; a node keeps the newest version of each ID (the catalog's merge rule: newer
 * wins) and relays a record it accepted, from a user message or a push/pull state, to the
 * cluster (as Sidecar's Replicator does with every accepted remote record). Push/pull carries
 * every record held, as a JSON array.
 */
import type { MembershipDelegate } from '../src/membership/index.js';

/** The newest version of one record this node holds, and when it got it. */
export interface HeldRecord {
  readonly version: number;
  readonly payload: Uint8Array;
  /** Clock time this version arrived (or was made here), in ms. */
  readonly atMs: number;
  readonly via: 'local' | 'message' | 'pushPull';
}

export interface RecordDelegateOptions {
  /** Node metadata (shared by every node of a simulation: the bytes are never changed). */
  readonly meta: Uint8Array;
  readonly nowMs: () => number;
  /** Gossips an accepted record (wired to Memberlist.broadcast with the record ID as key). */
  readonly relay: (payload: Uint8Array, id: string) => void;
  /** Called once per accepted newer version (the simulator's convergence metrics). */
  readonly onAccept?: (id: string, held: HeldRecord) => void;
}

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** Reads `{"ID": string, "Version": number, ...}`; undefined when it is not one. */
function parseRecord(text: string): { id: string; version: number } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return recordFields(value);
}

function recordFields(value: unknown): { id: string; version: number } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { ID: id, Version: version } = value as { ID?: unknown; Version?: unknown };
  if (typeof id !== 'string' || typeof version !== 'number' || !Number.isFinite(version)) return undefined;
  return { id, version };
}

/** A record payload: `{"ID":…,"Version":…,"Pad":"…"}` padded to about `sizeBytes`. */
export function makeRecordPayload(id: string, version: number, sizeBytes: number): Uint8Array {
  const bare = JSON.stringify({ ID: id, Version: version, Pad: '' });
  const pad = Math.max(0, sizeBytes - bare.length);
  return utf8Encoder.encode(JSON.stringify({ ID: id, Version: version, Pad: 'x'.repeat(pad) }));
}

export class RecordDelegate implements MembershipDelegate {
  private readonly records = new Map<string, HeldRecord>();
  /** User messages received, and how many carried nothing new. */
  messagesReceived = 0;
  duplicates = 0;
  malformed = 0;

  constructor(private readonly options: RecordDelegateOptions) {}

  /** The newest version held of `id`, if any. */
  held(id: string): HeldRecord | undefined {
    return this.records.get(id);
  }

  /** Makes or updates a record here and gossips it (a local service change). */
  publish(id: string, version: number, payload: Uint8Array): void {
    this.accept(id, version, payload, 'local');
  }

  nodeMeta(): Uint8Array {
    return this.options.meta;
  }

  notifyMessage(payload: Uint8Array): void {
    this.messagesReceived++;
    const rec = parseRecord(utf8Decoder.decode(payload));
    if (rec === undefined) {
      this.malformed++;
      return;
    }
    if (!this.accept(rec.id, rec.version, payload, 'message')) this.duplicates++;
  }

  localState(): Uint8Array {
    if (this.records.size === 0) return new Uint8Array(0);
    const parts = [...this.records.values()].map((r) => utf8Decoder.decode(r.payload));
    return utf8Encoder.encode(`[${parts.join(',')}]`);
  }

  mergeRemoteState(state: Uint8Array): void {
    if (state.length === 0) return;
    let values: unknown;
    try {
      values = JSON.parse(utf8Decoder.decode(state));
    } catch {
      this.malformed++;
      return;
    }
    if (!Array.isArray(values)) {
      this.malformed++;
      return;
    }
    for (const value of values as unknown[]) {
      const rec = recordFields(value);
      if (rec === undefined) continue;
      const current = this.records.get(rec.id);
      if (current !== undefined && current.version >= rec.version) continue;
      this.accept(rec.id, rec.version, utf8Encoder.encode(JSON.stringify(value)), 'pushPull');
    }
  }

  /** Keeps a newer version and relays it; false when it is not newer. */
  private accept(id: string, version: number, payload: Uint8Array, via: HeldRecord['via']): boolean {
    const current = this.records.get(id);
    if (current !== undefined && current.version >= version) return false;
    const held: HeldRecord = { version, payload, atMs: this.options.nowMs(), via };
    this.records.set(id, held);
    this.options.onAccept?.(id, held);
    this.options.relay(payload, id);
    return true;
  }
}

import { RawJson, encodeGoJson } from '../core/index.js';
import type { ChangeEvent } from './change-event.js';
import { encodeService, stateChangedEventToGoJson, stateToGoJson, type ServiceEncoder, type StateView } from './codec.js';
import type { Service } from './service.js';

/** A state whose `version` is bumped on every mutation (ServicesState). */
export interface VersionedStateView extends StateView {
  readonly version: number;
}

/**
 * The compact full-state JSON, built in this one place and shared by everything that sends
 * it: `/api/state.json` and the watch stream, the push/pull payload and the body POSTed to URL
 * listeners. It is encoded once per state version; records are immutable, so each record's
 * encoding is kept (weakly) across versions and after a change only the changed records are
 * encoded again. Each state owns one ({@link ServicesState.json}).
 */
export class StateJson {
  private version = -1;
  private raw: RawJson | undefined;
  private bytes: Buffer | undefined;
  private readonly records = new WeakMap<Service, RawJson>();

  constructor(private readonly state: VersionedStateView) {}

  /** One record's compact JSON, cached per record, for embedding in a document. */
  readonly service: ServiceEncoder = (svc) => this.serviceRaw(svc);

  /** One record's compact JSON (a gossip message), cached per record. */
  serviceText(svc: Service): string {
    return this.serviceRaw(svc).text;
  }

  /** The compact full state as text. */
  text(): string {
    return this.stateRaw().text;
  }

  /** The compact full state as UTF-8 bytes (shared: callers must not modify them). */
  buffer(): Buffer {
    this.sync();
    this.bytes ??= Buffer.from(this.stateRaw().text, 'utf8');
    return this.bytes;
  }

  /** The body POSTed to URL listeners: `{"State": <full state>, "ChangeEvent": {…}}`. */
  stateChangedEvent(event: ChangeEvent): string {
    return encodeGoJson(stateChangedEventToGoJson(this.stateRaw(), event, this.service));
  }

  private stateRaw(): RawJson {
    this.sync();
    this.raw ??= new RawJson(encodeGoJson(stateToGoJson(this.state, this.service)));
    return this.raw;
  }

  private serviceRaw(svc: Service): RawJson {
    let raw = this.records.get(svc);
    if (raw === undefined) {
      raw = new RawJson(encodeService(svc));
      this.records.set(svc, raw);
    }
    return raw;
  }

  private sync(): void {
    if (this.state.version === this.version) return;
    this.version = this.state.version;
    this.raw = undefined;
    this.bytes = undefined;
  }
}


import { EPOCH, encodeGoJson, encodeGoJsonPretty, formatTimestamp, sortedMap, type GoJson } from '../core/index.js';
import {
  byServiceToGoJson,
  serviceToGoJson,
  type Service,
  type ServicesState,
} from '../catalog/index.js';

/** A cluster member as `/api/services.json` lists it (memberlist node name). */
export interface ApiMember {
  readonly name: string;
}

/**
 * The JSON documents of the API, encoded once per state version and shared by every request
 * and watcher until the state changes (`ServicesState.version` is bumped on every mutation).
 * Records are immutable, so each record's encoding is also kept (weakly) across versions:
 * after a change only the changed records are encoded again. The compact full state and the
 * compact records are the state's own ({@link ServicesState.json}), shared with push/pull
 * and the URL listeners.
 */
export class StateDocuments {
  private version = -1;
  private groups: Map<string, Service[]> | undefined;
  private byServiceDoc: Buffer | undefined;
  private servicesDoc: { readonly membersKey: string; readonly body: Buffer } | undefined;
  private readonly oneServiceDocs = new Map<string, Buffer>();
  private readonly pretty = new WeakMap<Service, GoJson>();

  constructor(private readonly state: ServicesState) {}

  /** Compact full state (`/api/state.json`, `/watch?by_service=false`): the state's one encoding, shared with push/pull and URL listeners. */
  stateJson(): Buffer {
    return this.state.json.buffer();
  }

  /** Compact by-service map (the default `/watch` document). */
  byServiceJson(): Buffer {
    this.sync();
    this.byServiceDoc ??= Buffer.from(encodeGoJson(byServiceToGoJson(this.byService(), this.compactService)), 'utf8');
    return this.byServiceDoc;
  }

  /** Pretty `{Services, ClusterMembers, ClusterName}` (`/api/services.json`). */
  servicesJson(members: readonly ApiMember[]): Buffer {
    this.sync();
    const names = [...new Set(members.map((m) => m.name))];
    const membersKey = names.sort().join('\u0000');
    if (this.servicesDoc?.membersKey === membersKey) return this.servicesDoc.body;
    const clusterMembers = sortedMap(names.map((name) => [name, this.memberJson(name)] as const));
    const doc = new Map<string, GoJson>([['Services', byServiceToGoJson(this.byService(), this.prettyService)]]);
    if (clusterMembers.size > 0) doc.set('ClusterMembers', clusterMembers);
    doc.set('ClusterName', this.state.clusterName);
    const body = Buffer.from(encodeGoJsonPretty(doc), 'utf8');
    this.servicesDoc = { membersKey, body };
    return body;
  }

  /** Pretty `{Services: {<name>: [...]}, ClusterName}`, or undefined when no record has that name. */
  oneServiceJson(name: string): Buffer | undefined {
    this.sync();
    const cached = this.oneServiceDocs.get(name);
    if (cached !== undefined) return cached;
    const instances = this.byService().get(name);
    if (instances === undefined || instances.length === 0) return undefined;
    const doc = new Map<string, GoJson>([
      ['Services', new Map([[name, instances.map(this.prettyService)]])],
      ['ClusterName', this.state.clusterName],
    ]);
    const body = Buffer.from(encodeGoJsonPretty(doc), 'utf8');
    this.oneServiceDocs.set(name, body);
    return body;
  }

  private memberJson(name: string): GoJson {
    const server = this.state.servers.get(name);
    return new Map<string, GoJson>([
      ['Name', name],
      ['LastUpdated', formatTimestamp(server?.lastUpdated ?? EPOCH)],
      ['ServiceCount', server?.services.size ?? 0],
    ]);
  }

  private byService(): Map<string, Service[]> {
    this.groups ??= this.state.byService();
    return this.groups;
  }

  private sync(): void {
    if (this.state.version === this.version) return;
    this.version = this.state.version;
    this.groups = undefined;
    this.byServiceDoc = undefined;
    this.servicesDoc = undefined;
    this.oneServiceDocs.clear();
  }

  private get compactService(): (svc: Service) => GoJson {
    return this.state.json.service;
  }

  private readonly prettyService = (svc: Service): GoJson => {
    let json = this.pretty.get(svc);
    if (json === undefined) {
      json = serviceToGoJson(svc);
      this.pretty.set(svc, json);
    }
    return json;
  };
}

/**
 * The few fields of Kubernetes API objects that discovery reads (core/v1 Pod, Service, Node,
 * watch events and Status). Everything is optional: objects come from the network and are
 * checked field by field where they are used, never trusted to have this shape.
 */
export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface KubeObject {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly metadata?: ObjectMeta;
}

export interface Pod extends KubeObject {
  readonly spec?: {
    readonly nodeName?: string;
    readonly containers?: ReadonlyArray<{ readonly name?: string; readonly image?: string }>;
  };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: ReadonlyArray<{ readonly type?: string; readonly status?: string }>;
  };
}

export interface KubeService extends KubeObject {
  readonly spec?: {
    readonly ports?: ReadonlyArray<{ readonly name?: string; readonly protocol?: string; readonly port?: number; readonly nodePort?: number }>;
  };
}

export interface KubeNode extends KubeObject {
  readonly status?: {
    readonly addresses?: ReadonlyArray<{ readonly type?: string; readonly address?: string }>;
  };
}

/** A list answer (`PodList`…): its items and the version to watch from. */
export interface KubeList<T> {
  readonly kind?: string;
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items?: readonly T[];
}

/** One line of a watch stream. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T> {
  readonly type: WatchEventType;
  readonly object: T;
}

/** `kind: Status`, the body of errors (and of ERROR watch events). */
export interface KubeStatus {
  readonly kind?: string;
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

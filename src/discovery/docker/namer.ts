import { ErrorCode, SidecarError } from '../../core/index.js';
import type { ContainerSummary } from './docker-types.js';

/** Names a container's service (SERVICES_NAMER). */
export interface ServiceNamer {
  serviceName(container: ContainerSummary): string;
}

/**
 * `docker_label`: the value of one label (SERVICES_NAME_LABEL, default `ServiceName`),
 * else the image, as the Go Sidecar's DockerLabelNamer.
 */
export class DockerLabelNamer implements ServiceNamer {
  constructor(readonly label = 'ServiceName') {}

  serviceName(container: ContainerSummary): string {
    const value = container.Labels?.[this.label];
    return value === undefined ? container.Image : value;
  }
}

/**
 * `regex`: the first group of SERVICES_NAME_MATCH matched against the container's first
 * name (which starts with `/`), else the image, as the Go Sidecar's RegexpNamer; e.g.
 * `^/(.+)(-[0-9a-z]{7,14})$` names `/awesome-svc-1231b1b12323` `awesome-svc`.
 *
 * Where Go would panic (no name, no group in the pattern) or announce an empty name (an
 * empty group), the image is used instead.
 */
export class RegexNamer implements ServiceNamer {
  private readonly expression: RegExp;

  /** @throws SidecarError CONFIG_INVALID when the pattern does not compile (fatal at start-up, as in Go). */
  constructor(readonly pattern: string) {
    try {
      this.expression = new RegExp(pattern);
    } catch (err) {
      throw new SidecarError(
        ErrorCode.CONFIG_INVALID,
        `SERVICES_NAME_MATCH: invalid regular expression ${JSON.stringify(pattern)}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  serviceName(container: ContainerSummary): string {
    const first = container.Names?.[0];
    if (first === undefined) return container.Image;
    const m = this.expression.exec(first);
    const name = m?.[1];
    return name === undefined || name === '' ? container.Image : name;
  }
}

export interface NamerSettings {
  /** SERVICES_NAMER. */
  readonly namer: 'docker_label' | 'regex';
  /** SERVICES_NAME_LABEL (docker_label). */
  readonly nameLabel: string;
  /** SERVICES_NAME_MATCH (regex). */
  readonly nameMatch: string;
}

/** The namer the settings ask for. @throws SidecarError CONFIG_INVALID for a bad regex. */
export function createServiceNamer(settings: NamerSettings): ServiceNamer {
  switch (settings.namer) {
    case 'docker_label':
      return new DockerLabelNamer(settings.nameLabel === '' ? 'ServiceName' : settings.nameLabel);
    case 'regex':
      return new RegexNamer(settings.nameMatch);
  }
}

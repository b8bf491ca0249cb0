import { readFileSync } from 'node:fs';
import type { ContainerDetails, ContainerSummary } from '../../../../src/discovery/docker/index.js';

/** Engine API answers recorded from a real dockerd (Engine 20.10, API 1.41); see test/fixtures/docker/README.md. */
const dir = new URL('../../../fixtures/docker/', import.meta.url);

export const NAMES = ['fx-web', 'fx-badport', 'fx-hidden', 'fx-healthy', 'fx-multi'] as const;
export type FixtureName = (typeof NAMES)[number];

export function recordedList(): ContainerSummary[] {
  return JSON.parse(readFileSync(new URL('containers-list.json', dir), 'utf8')) as ContainerSummary[];
}

export function recordedInspect(name: FixtureName): ContainerDetails {
  return JSON.parse(readFileSync(new URL(`inspect-${name}.json`, dir), 'utf8')) as ContainerDetails;
}

export function recordedSummary(name: FixtureName): ContainerSummary {
  const found = recordedList().find((c) => c.Names?.[0] === `/${name}`);
  if (found === undefined) throw new Error(`no ${name} in containers-list.json`);
  return found;
}

export function recordedEventsText(): string {
  return readFileSync(new URL('events.jsonl', dir), 'utf8');
}

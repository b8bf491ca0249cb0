import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  Emitter,
  ErrorCode,
  errorMessage,
  msToTimestamp,
  type Clock,
  type Event,
  type Logger,
} from '../../core/index.js';
import { listenerName, type CheckSpec, type Service } from '../../catalog/index.js';
import type { DiscoverySource, ListenerSpec } from '../source.js';
import { FileWatcher, type FileCheckReason } from './file-watcher.js';
import { parseStaticFile, staticFileError, type StaticFileContent, type StaticTargetSpec } from './static-file.js';

export interface StaticDiscoveryOptions {
  /** The static.json file (STATIC_CONFIG_FILE; relative paths are relative to the working directory). */
  readonly file: string;
  /** This node's name: the default `Hostname` of the services and the host of listener URLs. */
  readonly hostname: string;
  /** The advertise IP: the `IP` of ports that do not give one. */
  readonly advertiseIp: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * How often the file's modification time and size are compared with the last read, in ms.
   * Default 1000: the Go Sidecar's discovery cadence, so an edit is live within about a
   * second even where fs.watch events never arrive (network filesystems, some bind mounts).
   */
  readonly reloadCheckIntervalMs?: number;
}

const DEFAULT_RELOAD_CHECK_INTERVAL_MS = 1000;

/** One target as announced: its ID and creation time stay while its content is unchanged. */
interface LoadedTarget {
  readonly spec: StaticTargetSpec;
  readonly service: Service;
  readonly check: CheckSpec | null;
  readonly listener: ListenerSpec | null;
}

/** What identifies one version of the file on disk without reading it. */
interface FileStamp {
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly size: number;
  readonly ino: number;
}

/**
 * Services listed in the Go Sidecar's static.json. Each target gets a random 12-hex ID and
 * `Created` = load time; `Hostname` defaults to the node name and port IPs to the advertise
 * IP; `ProxyMode` is taken as written, known values (tcp, http, ws) in lower case, and an
 * unknown one is warned about once per target.
 *
 * Beyond the Go Sidecar (which reads the file once and announces nothing when it is bad):
 * a bad file stops start-up with a message giving the line and column or the field; and the
 * file is reloaded when it changes. A reload keeps the ID of every target whose content did
 * not change, so those services are not tombstoned and re-announced; a file that has become
 * malformed keeps the last good services (the reason is logged once), and a bad target is
 * left out (logged with its index) while the others are loaded.
 */
export class StaticDiscovery implements DiscoverySource {
  readonly name = 'static';
  private readonly changed = new Emitter<void>();
  readonly onDidChange: Event<void> = this.changed.event;

  private readonly file: string;
  private readonly logger: Logger;
  private targets: readonly LoadedTarget[] = [];
  private servicesView: readonly Service[] = [];
  private listenersView: readonly ListenerSpec[] = [];
  private checks = new Map<string, CheckSpec | null>();

  private watcher: FileWatcher | null = null;
  /** The text the current targets came from. */
  private appliedText: string | null = null;
  private lastStamp: FileStamp | null = null;
  /** The last problem logged, so that a file that stays bad is reported once. */
  private lastProblem: string | null = null;
  private checking: Promise<void> | null = null;
  private recheck: FileCheckReason | null = null;
  private started = false;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: StaticDiscoveryOptions) {
    this.file = resolve(options.file);
    this.logger = options.logger;
  }

  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    let text: string;
    let stamp: FileStamp;
    try {
      stamp = toStamp(await stat(this.file));
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      throw staticFileError(this.file, describeReadError(err), err);
    }
    const content = this.parse(text);
    if (content.problems.length > 0) {
      throw staticFileError(this.file, content.problems.map((p) => p.message).join('; '));
    }
    const { added } = this.install(content.targets);
    this.appliedText = text;
    this.lastStamp = stamp;
    this.logAdded(added);
    if (this.closed) return;
    this.watcher = new FileWatcher({
      file: this.file,
      clock: this.options.clock,
      logger: this.logger,
      pollIntervalMs: this.options.reloadCheckIntervalMs ?? DEFAULT_RELOAD_CHECK_INTERVAL_MS,
      onCheck: (reason) => this.requestCheck(reason),
    });
    this.watcher.start();
  }

  services(): readonly Service[] {
    return this.servicesView;
  }

  healthCheck(svc: Service): CheckSpec | null {
    return this.checks.get(svc.id) ?? null;
  }

  listeners(): readonly ListenerSpec[] {
    return this.listenersView;
  }

  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
    this.closing = (async () => {
      await this.checking;
      this.changed.dispose();
    })();
    return this.closing;
  }

  /** Runs one check at a time; a request during a check runs once more afterwards. */
  private requestCheck(reason: FileCheckReason): void {
    if (this.closed) return;
    if (this.checking !== null) {
      if (this.recheck !== 'watch') this.recheck = reason;
      return;
    }
    this.checking = this.check(reason)
      .catch((err: unknown) => this.logger.error({ err: errorMessage(err), file: this.file }, 'static file check failed'))
      .finally(() => {
        this.checking = null;
        const again = this.recheck;
        this.recheck = null;
        if (again !== null) this.requestCheck(again);
      });
  }

  private async check(reason: FileCheckReason): Promise<void> {
    let stamp: FileStamp;
    let text: string;
    try {
      stamp = toStamp(await stat(this.file));
      // A poll only reads the file when it looks different; an fs.watch event always does.
      if (reason === 'poll' && this.lastStamp !== null && sameStamp(stamp, this.lastStamp)) return;
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      this.problem(`${describeReadError(err)}; keeping the ${this.targets.length} services loaded before`);
      return;
    }
    if (this.closed) return;
    this.lastStamp = stamp;
    if (text === this.appliedText) {
      if (this.lastProblem !== null) this.logger.info({ file: this.file }, 'static file is back to its last good content');
      this.lastProblem = null;
      return;
    }
    let content: StaticFileContent;
    try {
      content = this.parse(text);
    } catch (err) {
      this.problem(`${errorMessage(err)}; keeping the ${this.targets.length} services loaded before`);
      return;
    }
    if (content.targets.length === 0 && content.problems.length > 0) {
      // Every target is bad: more likely one systematic mistake than a wish to announce nothing.
      const all = content.problems.map((p) => p.message).join('; ');
      this.problem(`no valid target (${all}); keeping the ${this.targets.length} services loaded before`);
      return;
    }
    const skipped = content.problems.map((p) => `target ${p.index} left out: ${p.message}`);
    if (skipped.length > 0) this.problem(skipped.join('; '));
    else this.lastProblem = null;
    const { added, removed, kept } = this.install(content.targets);
    this.appliedText = text;
    this.logAdded(added);
    for (const t of removed) this.logger.info({ service: t.service.name, id: t.service.id }, 'static service removed from file');
    this.logger.info(
      { file: this.file, added: added.length, removed: removed.length, kept },
      'reloaded static discovery file',
    );
    if (added.length > 0 || removed.length > 0) this.changed.fire();
  }

  private parse(text: string): StaticFileContent {
    return parseStaticFile(text, this.file, { hostname: this.options.hostname, advertiseIp: this.options.advertiseIp });
  }

  /** Logs each new target, and its unknown ProxyMode (once: a kept target is not new). */
  private logAdded(added: readonly LoadedTarget[]): void {
    for (const t of added) {
      this.logger.info({ service: t.service.name, id: t.service.id }, 'discovered static service');
      const warning = t.spec.proxyModeWarning;
      if (warning !== undefined) {
        this.logger.warn({ file: this.file, index: t.spec.index, service: t.service.name, id: t.service.id, proxyMode: t.service.proxyMode }, `static file ${this.file}: ${warning}`);
      }
    }
  }

  /** Logs a problem unless it is the one logged last. */
  private problem(message: string): void {
    if (message === this.lastProblem) return;
    this.lastProblem = message;
    this.logger.warn({ code: ErrorCode.DISCOVERY_STATIC_FILE, file: this.file }, message);
  }

  /** Makes `specs` the current targets, reusing the ID of each target whose content is unchanged. */
  private install(specs: readonly StaticTargetSpec[]): { added: LoadedTarget[]; removed: LoadedTarget[]; kept: number } {
    const reusable = new Map<string, LoadedTarget[]>();
    for (const t of this.targets) {
      const list = reusable.get(t.spec.key);
      if (list === undefined) reusable.set(t.spec.key, [t]);
      else list.push(t);
    }
    const ids = new Set<string>();
    const now = msToTimestamp(this.options.clock.nowMs());
    const added: LoadedTarget[] = [];
    let kept = 0;
    const next = specs.map((spec) => {
      const old = reusable.get(spec.key)?.shift();
      if (old !== undefined) {
        kept++;
        ids.add(old.service.id);
        return old;
      }
      const target = this.load(spec, this.newId(ids), now);
      added.push(target);
      return target;
    });
    const removed = [...reusable.values()].flat();
    this.targets = next;
    this.servicesView = Object.freeze(next.map((t) => t.service));
    this.listenersView = Object.freeze(next.flatMap((t) => (t.listener === null ? [] : [t.listener])));
    this.checks = new Map(next.map((t) => [t.service.id, t.check]));
    return { added, removed, kept };
  }

  private load(spec: StaticTargetSpec, id: string, now: bigint): LoadedTarget {
    const service: Service = { ...spec.service, id, created: now, updated: now };
    const check = spec.check.type === '' ? null : spec.check;
    const listener =
      spec.listenPort > 0
        ? { name: listenerName(service), url: `http://${urlHost(this.options.hostname)}:${spec.listenPort}/sidecar/update` }
        : null;
    return { spec, service, check, listener };
  }

  /** 12 random hex characters (6 random bytes, as in Go), unique among `taken` and the kept targets. */
  private newId(taken: Set<string>): string {
    for (;;) {
      const id = randomBytes(6).toString('hex');
      if (!taken.has(id) && !this.checks.has(id)) {
        taken.add(id);
        return id;
      }
    }
  }
}

function toStamp(s: { mtimeMs: number; ctimeMs: number; size: number; ino: number }): FileStamp {
  return { mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, size: s.size, ino: s.ino };
}

function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.size === b.size && a.ino === b.ino;
}

function describeReadError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'ENOENT':
      return 'the file does not exist';
    case 'EACCES':
    case 'EPERM':
      return 'the file cannot be read: permission denied';
    case 'EISDIR':
      return 'the path is a directory, not a file';
    default:
      return `the file cannot be read: ${errorMessage(err)}`;
  }
}

/** A host for a URL: IPv6 literals go in brackets. */
function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

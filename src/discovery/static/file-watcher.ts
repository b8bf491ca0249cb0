import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { errorMessage, type Clock, type Logger, type TimerHandle } from '../../core/index.js';

export type FileCheckReason = 'watch' | 'poll';

export interface FileWatcherOptions {
  readonly file: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Period of the poll that runs whether or not fs.watch works, in ms. */
  readonly pollIntervalMs: number;
  /**
   * Called when the file may have changed: `watch` after an fs.watch event (debounced),
   * `poll` on every poll tick. The callee decides whether anything really changed.
   */
  readonly onCheck: (reason: FileCheckReason) => void;
}

/**
 * Quiet time after the last fs.watch event before the file is read, in ms. Editors and
 * `cp` write a file in several steps and each step fires an event; 100 ms is long enough
 * to see one finished write and short enough that nobody waits for it.
 */
const WATCH_DEBOUNCE_MS = 100;

/**
 * Tells its owner when one file may have changed. It watches the file's directory (so a file
 * replaced by rename, as editors and config management tools do, is still seen) and polls on
 * a timer as well, because fs.watch is not delivered on every filesystem (NFS, some bind
 * mounts). Neither keeps the process alive.
 */
export class FileWatcher {
  private watcher: FSWatcher | null = null;
  private pollTimer: TimerHandle | null = null;
  private debounceTimer: TimerHandle | null = null;
  private closed = false;

  constructor(private readonly options: FileWatcherOptions) {}

  start(): void {
    if (this.closed || this.pollTimer !== null) return;
    const { clock, file, pollIntervalMs } = this.options;
    this.pollTimer = clock.setInterval(() => this.options.onCheck('poll'), pollIntervalMs);
    const name = basename(file);
    try {
      this.watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        // Some platforms do not say which file changed: treat that as ours.
        if (changed === null || changed.toString() === name) this.debounce();
      });
      this.watcher.on('error', (err) => {
        this.options.logger.debug({ err: errorMessage(err) }, 'fs.watch failed; relying on polling');
        this.stopWatching();
      });
    } catch (err) {
      this.options.logger.debug({ err: errorMessage(err) }, 'fs.watch unavailable; relying on polling');
      this.watcher = null;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching();
    const { clock } = this.options;
    if (this.pollTimer !== null) clock.clearInterval(this.pollTimer);
    if (this.debounceTimer !== null) clock.clearTimeout(this.debounceTimer);
    this.pollTimer = null;
    this.debounceTimer = null;
  }

  private debounce(): void {
    if (this.closed) return;
    const { clock } = this.options;
    if (this.debounceTimer !== null) clock.clearTimeout(this.debounceTimer);
    this.debounceTimer = clock.setTimeout(() => {
      this.debounceTimer = null;
      if (!this.closed) this.options.onCheck('watch');
    }, WATCH_DEBOUNCE_MS);
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}

import { closeSync, fstatSync, openSync, write, writeSync } from 'node:fs';
import { errorMessage, type Clock, type Logger, type TimerHandle } from '../core/index.js';

/**
 * Lines held in memory while the disk catches up, at most this many bytes per thread.
 * Default 1 MiB: about 4,500 lines, a tenth of a second of a busy proxy thread; past it lines
 * are dropped and counted rather than memory growing without bound.
 */
export const ACCESS_LOG_MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * Lines are copied into slabs of this size, and one slab is one `write()`. To a file (opened
 * O_APPEND, where one write lands whole whatever its size) 64 KiB, about 290 lines. To stdout
 * (`-`, a pipe or terminal) 4 KiB: PIPE_BUF on Linux, so that the lines of several threads, and
 * the agent's own log, never interleave inside a line.
 */
const FILE_SLAB_BYTES = 64 * 1024;
const PIPE_SLAB_BYTES = 4096;

/**
 * Lines wait at most this long for a write while their slab is not full. 100 ms: a busy
 * thread fills a slab well before, so each write carries hundreds of lines and its
 * thread-pool round trip is paid once for them all; a quiet one still shows its lines within
 * a tenth of a second.
 */
const FLUSH_INTERVAL_MS = 100;

/** A write the pipe could not take now (EAGAIN, or only part of it) is tried again after this long. 10 ms. */
const RETRY_MS = 10;
/** At close, how long a full pipe may hold up the last lines before they are dropped. 1 s. */
const CLOSE_WAIT_MS = 1000;

/** A filled slab: its bytes `[from, len)` are still to be written. */
interface Slab {
  readonly buf: Buffer;
  readonly len: number;
  readonly lines: number;
  from: number;
}

export interface AccessLogStats {
  /** Lines handed to the kernel. */
  readonly linesWritten: number;
  /** Lines dropped because the buffer was full (the disk or pipe too slow), a write failed or the file could not be opened. */
  readonly linesDropped: number;
}

/**
 * The proxy's access log in one thread. `write(line)` copies the line into a slab (UTF-8)
 * and returns at once; a full slab (or, at the latest, the one being filled after 100 ms) goes
 * out through the thread pool (`fs.write`), one write in flight at a time, on a descriptor of
 * this thread's own (`path` opened for append; `-` is the process's stdout, fd 1). Slabs are
 * reused, so a steady load allocates nothing; at most `maxBufferedBytes` of them exist. The
 * hot path pays one copy; nothing waits on the disk. Dropped lines are counted and said once
 * per episode in the agent's log.
 */
export class AccessLogWriter {
  /** Opened on the first write to disk (off the request path); -1 before, or when it could not be opened. */
  private fd = -1;
  private readonly ownsFd: boolean;
  private readonly slabBytes: number;
  private readonly maxSlabs: number;
  private slabs = 0;
  private readonly free: Buffer[] = [];
  private readonly filled: Slab[] = [];
  private cur: Buffer | undefined;
  private curLen = 0;
  private curLines = 0;
  private writing = false;
  private openFailed = false;
  private immediate: NodeJS.Immediate | undefined;
  /** The flush timer (FLUSH_INTERVAL_MS), or the retry after EAGAIN or a partial write. */
  private timer: TimerHandle | undefined;
  private linesWritten = 0;
  private linesDropped = 0;
  private droppedSinceWarned = 0;
  private closed: Promise<void> | undefined;
  private idle: (() => void) | undefined;

  /** `path`: a file, opened for append when the first lines go out; `-`: stdout. Opens nothing yet. */
  constructor(
    readonly path: string,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly maxBufferedBytes = ACCESS_LOG_MAX_BUFFERED_BYTES,
  ) {
    this.ownsFd = path !== '-';
    this.slabBytes = Math.min(this.ownsFd ? FILE_SLAB_BYTES : PIPE_SLAB_BYTES, maxBufferedBytes);
    this.maxSlabs = Math.max(1, Math.floor(maxBufferedBytes / this.slabBytes));
  }

  /** Appends one line (with its `\n`). Never blocks; drops and counts the line when the buffer is full. */
  write(line: string): void {
    if (this.closed !== undefined) return;
    // The most bytes the line can take in UTF-8: room is checked before it is copied.
    const most = line.length * 3;
    if (this.cur === undefined || this.slabBytes - this.curLen < most) {
      if (most > this.slabBytes || !this.nextSlab()) {
        this.drop(1);
        return;
      }
    }
    const cur = this.cur as Buffer;
    this.curLen += cur.write(line, this.curLen, 'utf8');
    this.curLines++;
    if (!this.writing && this.immediate === undefined) {
      if (this.filled.length > 0) this.flushSoon();
      else this.timer ??= this.clock.setTimeout(this.onTimer, FLUSH_INTERVAL_MS);
    }
  }

  stats(): AccessLogStats {
    return { linesWritten: this.linesWritten, linesDropped: this.linesDropped };
  }

  /** Writes what is buffered (after a write in flight), then closes the file. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.shut();
    return this.closed;
  }

  /** Seals the slab being filled (if it holds lines) and takes a fresh one; false when the bound is reached. */
  private nextSlab(): boolean {
    this.seal();
    const buf = this.free.pop() ?? (this.slabs < this.maxSlabs ? (this.slabs++, Buffer.allocUnsafe(this.slabBytes)) : undefined);
    this.cur = buf;
    return buf !== undefined;
  }

  private seal(): void {
    if (this.cur !== undefined && this.curLines > 0) {
      this.filled.push({ buf: this.cur, len: this.curLen, lines: this.curLines, from: 0 });
      this.cur = undefined;
    }
    this.curLen = 0;
    this.curLines = 0;
  }

  private drop(lines: number): void {
    this.linesDropped += lines;
    this.droppedSinceWarned += lines;
  }

  private flushSoon(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate ??= setImmediate(this.flush);
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    if (this.filled.length === 0) this.seal();
    this.flush();
  };

  /** The descriptor, opened now if it is not yet; false (lines are dropped) if it cannot be. */
  private opened(): boolean {
    if (this.fd >= 0) return true;
    if (this.openFailed) return false;
    try {
      this.fd = this.ownsFd ? openSync(this.path, 'a', 0o640) : 1;
      if (this.slabBytes > PIPE_SLAB_BYTES && !fstatSync(this.fd).isFile()) {
        this.logger.warn({ path: this.path }, 'Proxy access log: not a regular file; lines of several threads may interleave in it (use `-` for stdout)');
      }
      return true;
    } catch (err) {
      this.openFailed = true;
      this.logger.error({ path: this.path, err: errorMessage(err) }, 'Proxy access log: cannot open the file; access-log lines are dropped');
      return false;
    }
  }

  private readonly flush = (): void => {
    this.immediate = undefined;
    if (this.writing || this.closed !== undefined) return;
    const slab = this.filled[0];
    if (slab === undefined) return;
    if (!this.opened()) {
      for (const s of this.filled.splice(0)) this.release(s, false);
      this.reportDrops();
      return;
    }
    this.writing = true;
    write(this.fd, slab.buf, slab.from, slab.len - slab.from, null, (err, written) => this.wrote(slab, err, written));
  };

  /** A slab is done with: its lines counted as written or dropped, its buffer back for reuse. */
  private release(slab: Slab, written: boolean): void {
    if (written) this.linesWritten += slab.lines;
    else this.drop(slab.lines);
    this.free.push(slab.buf);
  }

  private wrote(slab: Slab, err: NodeJS.ErrnoException | null, written: number): void {
    this.writing = false;
    let later = false;
    if (err !== null) {
      if (err.code === 'EAGAIN') {
        later = true;
      } else {
        this.filled.shift();
        this.release(slab, false);
        this.logger.warn({ path: this.path, err: errorMessage(err) }, 'Proxy access log: a write failed; its lines are lost');
      }
    } else if (slab.from + written < slab.len) {
      // A partial write (a full pipe): the rest goes first, a little later.
      slab.from += written;
      later = true;
    } else {
      this.filled.shift();
      this.release(slab, true);
    }
    if (this.idle !== undefined) {
      const idle = this.idle;
      this.idle = undefined;
      idle();
      return;
    }
    this.reportDrops();
    if (later) this.timer ??= this.clock.setTimeout(this.onTimer, RETRY_MS);
    else if (this.filled.length > 0) this.flushSoon();
    else if (this.curLines > 0) this.timer ??= this.clock.setTimeout(this.onTimer, FLUSH_INTERVAL_MS);
  }

  private async shut(): Promise<void> {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.writing) await new Promise<void>((resolve) => (this.idle = resolve));
    this.seal();
    // The rest goes out synchronously: at most the buffer's bound, once, at shutdown; a pipe
    // that stays full for CLOSE_WAIT_MS loses it (counted).
    const giveUpAt = Date.now() + CLOSE_WAIT_MS;
    const ok = this.filled.length === 0 || this.opened();
    while (this.filled.length > 0) {
      const slab = this.filled[0] as Slab;
      if (!ok) {
        this.filled.shift();
        this.release(slab, false);
        continue;
      }
      try {
        slab.from += writeSync(this.fd, slab.buf, slab.from, slab.len - slab.from);
        if (slab.from < slab.len) continue;
        this.filled.shift();
        this.release(slab, true);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && Date.now() < giveUpAt) {
          await new Promise<void>((resolve) => setTimeout(resolve, RETRY_MS));
          continue;
        }
        for (const s of this.filled.splice(0)) this.release(s, false);
      }
    }
    this.reportDrops();
    if (this.ownsFd && this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.free.length = 0;
  }

  /** Says once per episode that lines were dropped (the buffer has room again when this runs). */
  private reportDrops(): void {
    if (this.droppedSinceWarned === 0) return;
    this.logger.warn(
      { path: this.path, linesDropped: this.droppedSinceWarned, linesDroppedTotal: this.linesDropped, maxBufferedBytes: this.maxBufferedBytes },
      `Proxy access log: ${this.droppedSinceWarned} line(s) dropped because the log could not be written fast enough`,
    );
    this.droppedSinceWarned = 0;
  }
}

import { closeSync, fstatSync, openSync, write, writeSync } from 'node:fs';
import { errorMessage, type Clock, type Logger, type TimerHandle } from '../core/index.js';

/**
 * Lines held in memory while the disk catches up, at most this many bytes (UTF-16 code units,
 * close enough) per thread. Default 1 MiB: about 5,000 lines, a few hundred ms of a busy
 * proxy; past it lines are dropped and counted rather than memory growing without bound.
 */
export const ACCESS_LOG_MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * One `write()` to a pipe or terminal carries at most this much, cut at a line end: PIPE_BUF
 * (4096 on Linux), so that the lines of several threads, and the agent's own log on stdout,
 * never interleave inside a line. Regular files are opened O_APPEND, where one write lands
 * whole whatever its size; they get 64 KiB per write.
 */
const PIPE_WRITE_BYTES = 4096;
const FILE_WRITE_BYTES = 64 * 1024;

/** A write the pipe could not take now (EAGAIN, or only part of it) is tried again after this long. 10 ms. */
const RETRY_MS = 10;
/** At close, how long a full pipe may hold up the last lines before they are dropped. 1 s. */
const CLOSE_WAIT_MS = 1000;

interface Batch {
  buf: Buffer;
  readonly lines: number;
}

export interface AccessLogStats {
  /** Lines handed to the kernel. */
  readonly linesWritten: number;
  /** Lines dropped because the buffer was full (the disk or pipe too slow) or a write failed. */
  readonly linesDropped: number;
}

/**
 * The proxy's access log in one thread: `write(line)` appends to a bounded in-memory buffer
 * and returns at once; the buffer goes out in batches through the thread pool (`fs.write`),
 * one write in flight at a time, on a descriptor of this thread's own (`path` opened for
 * append; `-` is the process's stdout, fd 1). The hot path pays a string push; nothing waits
 * on the disk. Dropped lines are counted and said once per episode in the agent's log.
 */
export class AccessLogWriter {
  /** Opened on the first flush (off the request path); -1 before, or when it could not be opened. */
  private fd = -1;
  private readonly ownsFd: boolean;
  private maxWriteBytes = PIPE_WRITE_BYTES;
  private openFailed = false;
  private chunks: string[] = [];
  /** The batch being written (or to be written again after EAGAIN or a partial write). */
  private current: Batch | undefined;
  private bufferedBytes = 0;
  private writing = false;
  private immediate: NodeJS.Immediate | undefined;
  private retryTimer: TimerHandle | undefined;
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
  }

  /** The descriptor, opened now if it is not yet; false (lines are dropped) if it cannot be. */
  private opened(): boolean {
    if (this.fd >= 0) return true;
    if (this.openFailed) return false;
    try {
      this.fd = this.ownsFd ? openSync(this.path, 'a', 0o640) : 1;
      this.maxWriteBytes = fstatSync(this.fd).isFile() ? FILE_WRITE_BYTES : PIPE_WRITE_BYTES;
      return true;
    } catch (err) {
      this.openFailed = true;
      this.logger.error({ path: this.path, err: errorMessage(err) }, 'Proxy access log: cannot open the file; access-log lines are dropped');
      return false;
    }
  }

  /** Queues one line (with its `\n`). Never blocks; drops and counts the line when the buffer is full. */
  write(line: string): void {
    if (this.closed !== undefined) return;
    if (this.bufferedBytes + line.length > this.maxBufferedBytes) {
      this.drop(1);
      return;
    }
    this.chunks.push(line);
    this.bufferedBytes += line.length;
    if (!this.writing && this.immediate === undefined) this.immediate = setImmediate(this.flush);
  }

  stats(): AccessLogStats {
    return { linesWritten: this.linesWritten, linesDropped: this.linesDropped };
  }

  /** Writes what is buffered (waiting for a write in flight), then closes the file. Idempotent. */
  close(): Promise<void> {
    this.closed ??= this.shut();
    return this.closed;
  }

  private async shut(): Promise<void> {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    if (this.retryTimer !== undefined) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.writing) await new Promise<void>((resolve) => (this.idle = resolve));
    // The rest goes out synchronously: at most the buffer's bound, once, at shutdown; a pipe
    // that stays full for CLOSE_WAIT_MS loses it (counted).
    const giveUpAt = Date.now() + CLOSE_WAIT_MS;
    if (!this.opened()) {
      this.drop(this.chunks.length);
      this.chunks = [];
    }
    for (;;) {
      if (this.current === undefined) {
        if (this.chunks.length === 0) break;
        this.current = this.batch();
      }
      const cur = this.current;
      try {
        const n = writeSync(this.fd, cur.buf);
        if (n < cur.buf.length) {
          cur.buf = cur.buf.subarray(n);
          continue;
        }
        this.linesWritten += cur.lines;
        this.current = undefined;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN' && Date.now() < giveUpAt) {
          await new Promise<void>((resolve) => setTimeout(resolve, RETRY_MS));
          continue;
        }
        this.drop(cur.lines + this.chunks.length);
        this.current = undefined;
        this.chunks = [];
        break;
      }
    }
    this.reportDrops();
    if (this.ownsFd && this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Takes buffered lines up to one write's worth (at least one line) as one batch. */
  private batch(): Batch {
    let n = 0;
    let bytes = 0;
    while (n < this.chunks.length) {
      const len = (this.chunks[n] as string).length;
      if (n > 0 && bytes + len > this.maxWriteBytes) break;
      bytes += len;
      n++;
    }
    const all = n === this.chunks.length;
    const text = all ? this.chunks.join('') : this.chunks.slice(0, n).join('');
    this.chunks = all ? [] : this.chunks.slice(n);
    this.bufferedBytes -= text.length;
    return { buf: Buffer.from(text, 'utf8'), lines: n };
  }

  private drop(lines: number): void {
    this.linesDropped += lines;
    this.droppedSinceWarned += lines;
  }

  private readonly flush = (): void => {
    this.immediate = undefined;
    if (this.writing || this.closed !== undefined) return;
    if (!this.opened()) {
      this.drop(this.chunks.length);
      this.chunks = [];
      this.bufferedBytes = 0;
      return;
    }
    if (this.current === undefined) {
      if (this.chunks.length === 0) return;
      this.current = this.batch();
    }
    const buf = this.current.buf;
    this.writing = true;
    write(this.fd, buf, 0, buf.length, null, (err, written) => this.wrote(err, written));
  };

  private wrote(err: NodeJS.ErrnoException | null, written: number): void {
    this.writing = false;
    const cur = this.current as Batch;
    let later = false;
    if (err !== null) {
      if (err.code === 'EAGAIN') {
        later = true;
      } else {
        this.drop(cur.lines);
        this.current = undefined;
        this.logger.warn({ path: this.path, err: errorMessage(err) }, 'Proxy access log: a write failed; its lines are lost');
      }
    } else if (written < cur.buf.length) {
      // A partial write (a full pipe): the rest goes first, a little later.
      cur.buf = cur.buf.subarray(written);
      later = true;
    } else {
      this.linesWritten += cur.lines;
      this.current = undefined;
    }
    if (this.idle !== undefined) {
      const idle = this.idle;
      this.idle = undefined;
      idle();
      return;
    }
    this.reportDrops();
    if (this.current === undefined && this.chunks.length === 0) return;
    if (later) {
      this.retryTimer = this.clock.setTimeout(() => {
        this.retryTimer = undefined;
        this.flush();
      }, RETRY_MS);
    } else {
      this.immediate = setImmediate(this.flush);
    }
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

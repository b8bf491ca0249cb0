import { ErrorCode, localShortageAdvice, redactUrls, type Clock, type Logger } from '../core/index.js';

/**
 * One episode of checks that could not run because this host is short of something (out of
 * descriptors, ports, memory). It is logged loudly once when it starts, naming the errno and
 * what to do, and once when it ends: when a check runs with no shortage seen for `quietMs`.
 * Between the two, each check set aside is counted, not logged (10,000 checks would
 * otherwise log 10,000 lines a round).
 */
export class ShortageEpisode {
  private current: { errno: string; sinceMs: number; lastMs: number; setAside: number } | undefined;

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly quietMs: number,
  ) {}

  /** The errno of the episode under way, if any. */
  get errno(): string | undefined {
    return this.current?.errno;
  }

  /** A check could not run for lack of `errno`; its result was set aside. */
  shortage(errno: string, check: { readonly id: string; readonly type: string; readonly args: string }, error: string | undefined): void {
    const now = this.clock.nowMs();
    if (this.current !== undefined) {
      this.current.lastMs = now;
      this.current.setAside++;
      return;
    }
    this.current = { errno, sinceMs: now, lastMs: now, setAside: 1 };
    this.log.warn(
      { code: ErrorCode.HEALTH_LOCAL_SHORTAGE, errno, id: check.id, type: check.type, args: redactUrls(check.args), err: error },
      `Health checks cannot run: this host is short of a resource (${errno}), which says nothing about the services checked, ` +
        `so they keep their status until checks run again. To fix: ${localShortageAdvice(errno)}`,
    );
  }

  /** A check ran (whatever it found): ends the episode once no shortage was seen for quietMs. */
  ran(): void {
    const current = this.current;
    if (current === undefined) return;
    const now = this.clock.nowMs();
    if (now - current.lastMs < this.quietMs) return;
    this.current = undefined;
    this.log.info(
      { code: ErrorCode.HEALTH_LOCAL_SHORTAGE, errno: current.errno, durationMs: current.lastMs - current.sinceMs, setAside: current.setAside },
      `Health checks run again: the local shortage (${current.errno}) is over; ${current.setAside} check result(s) were set aside during it`,
    );
  }
}

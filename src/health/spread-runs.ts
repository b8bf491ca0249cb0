import type { Clock, TimerHandle } from '../core/index.js';

/**
 * Runs started in one timer turn before a round is spread: a round of up to this many starts
 * at once, as the Go Sidecar's does. Also the smallest batch of a spread round.
 */
export const SPREAD_MIN_BATCH = 64;
/** Time between the batches of a spread round: 25 ms, short enough that a batch stays small. */
export const SPREAD_STEP_MS = 25;

export interface SpreadRuns {
  /** Settles when every run started has settled (after cancel(): the ones already started). */
  readonly done: Promise<void>;
  /** Starts no more runs. Idempotent. */
  cancel(): void;
}

/**
 * Starts `run(item)` for each item: all at once when there are at most
 * {@link SPREAD_MIN_BATCH}, else in equal batches {@link SPREAD_STEP_MS} apart so that the last
 * starts within `windowMs`. Starting 10,000 health checks in one turn stalled the event loop
 * for 200–900 ms every round (bench/catalog-scale.ts); spread, no batch takes more than a few ms.
 */
export function spreadRuns<T>(items: readonly T[], run: (item: T) => Promise<void>, windowMs: number, clock: Clock): SpreadRuns {
  const steps = Math.max(1, Math.floor(windowMs / SPREAD_STEP_MS));
  const batch = Math.max(SPREAD_MIN_BATCH, Math.ceil(items.length / steps));
  let next = 0;
  let pending = 0;
  let timer: TimerHandle | undefined;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const settleIfDone = (): void => {
    if (pending === 0 && next >= items.length) resolveDone();
  };
  const finished = (): void => {
    pending--;
    settleIfDone();
  };
  const step = (): void => {
    timer = undefined;
    const end = Math.min(items.length, next + batch);
    for (; next < end; next++) {
      pending++;
      run(items[next] as T).then(finished, finished);
    }
    if (next < items.length) timer = clock.setTimeout(step, SPREAD_STEP_MS);
    else settleIfDone();
  };
  step();
  return {
    done,
    cancel: () => {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      next = items.length;
      settleIfDone();
    },
  };
}

/**
 * How many lines of one kind may be logged per window; the rest are counted and the count
 * rides on the next line that is let through. Keeps a hostile client (a page looping
 * refused POSTs) from filling the log, while the first lines of an attack always show.
 */
export class LogBudget {
  private windowStartMs = Number.NEGATIVE_INFINITY;
  private usedInWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly nowMs: () => number,
    /** Lines per window. */
    private readonly linesPerWindow: number,
    /** Window length in ms. */
    private readonly windowMs: number,
  ) {}

  /** Undefined: do not log. Else log, adding `suppressed` (lines skipped since the last one) when not 0. */
  take(): { suppressed: number } | undefined {
    const now = this.nowMs();
    if (now - this.windowStartMs >= this.windowMs) {
      this.windowStartMs = now;
      this.usedInWindow = 0;
    }
    if (this.usedInWindow >= this.linesPerWindow) {
      this.suppressed++;
      return undefined;
    }
    this.usedInWindow++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return { suppressed };
  }
}

/**
 * Always-on counters of HTTP forwarding, per frontend and per endpoint: plain number fields
 * bumped on the hot path, copied out only when stats are read.
 */

/** Upper bounds (ms) of the latency buckets; one more bucket counts everything slower (+Inf). */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] as const;

export interface ResponseClassCounts {
  readonly '1xx': number;
  readonly '2xx': number;
  readonly '3xx': number;
  readonly '4xx': number;
  readonly '5xx': number;
}

/** Failures by kind. `badRequest`: a client sent a malformed or refused request (400/431/505). */
export interface HttpErrorCounts {
  readonly connect: number;
  readonly timeout: number;
  readonly reset: number;
  readonly badRequest: number;
  /** An upstream sent a response that could not be parsed (answered 502). */
  readonly badResponse: number;
}

export interface LatencyHistogram {
  /** Upper bounds in ms, ascending; `counts` has one more entry for +Inf. */
  readonly bucketsMs: readonly number[];
  readonly counts: readonly number[];
  readonly count: number;
  readonly sumMs: number;
}

export interface HttpCounters {
  /** Requests received (frontend) or sent (endpoint). */
  readonly requests: number;
  /** Final responses by status class (1xx counts 101 upgrades). */
  readonly responses: ResponseClassCounts;
  readonly errors: HttpErrorCounts;
  /** Bytes read from the client (frontend) or written to the endpoint (endpoint). */
  readonly bytesIn: number;
  /** Bytes written to the client (frontend) or read from the endpoint (endpoint). */
  readonly bytesOut: number;
  /** Time from the request head to the response head. */
  readonly latency: LatencyHistogram;
}

export class MutableHttpCounters {
  requests = 0;
  responses = { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
  errors = { connect: 0, timeout: 0, reset: 0, badRequest: 0, badResponse: 0 };
  bytesIn = 0;
  bytesOut = 0;
  readonly buckets = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  latencyCount = 0;
  latencySumMs = 0;

  response(status: number): void {
    if (status < 200) this.responses['1xx']++;
    else if (status < 300) this.responses['2xx']++;
    else if (status < 400) this.responses['3xx']++;
    else if (status < 500) this.responses['4xx']++;
    else this.responses['5xx']++;
  }

  latency(ms: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > (LATENCY_BUCKETS_MS[i] as number)) i++;
    this.buckets[i] = (this.buckets[i] as number) + 1;
    this.latencyCount++;
    this.latencySumMs += ms;
  }

  snapshot(): HttpCounters {
    return {
      requests: this.requests,
      responses: { ...this.responses },
      errors: { ...this.errors },
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      latency: { bucketsMs: LATENCY_BUCKETS_MS, counts: [...this.buckets], count: this.latencyCount, sumMs: Math.round(this.latencySumMs * 1000) / 1000 },
    };
  }
}

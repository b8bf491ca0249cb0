/** One line of the UI's timeline of recent changes. */
export interface TimelineEntry {
  /** Increases by one per entry: the page keeps what it has seen. */
  readonly seq: number;
  /** Clock time of the change, ms since the epoch. */
  readonly timeMs: number;
  /** `status`: a service instance changed status; `drain`: one went DRAINING; `member`: a host joined, failed, left. */
  readonly kind: 'status' | 'drain' | 'member';
  /** The host the change is about. */
  readonly host: string;
  /** The service name (status, drain) or the member name (member). */
  readonly subject: string;
  /** The service instance ID (status, drain). */
  readonly id?: string;
  /** The state before (`ALIVE`, `alive`…; `''` when it is new). */
  readonly from: string;
  /** The state after. */
  readonly to: string;
}

/** Default entries kept: enough for a screen of history, small enough to resend whole (about 20 KB). */
export const DEFAULT_TIMELINE_ENTRIES = 100;

/**
 * The last `capacity` changes, oldest first, in a fixed ring: adding is O(1) and nothing grows
 * with the age of the agent or the churn of the catalog.
 */
export class Timeline {
  private readonly ring: Array<TimelineEntry | undefined>;
  private next = 0;
  private seq = 0;

  constructor(private readonly capacity = DEFAULT_TIMELINE_ENTRIES) {
    this.ring = new Array<TimelineEntry | undefined>(capacity);
  }

  add(entry: Omit<TimelineEntry, 'seq'>): TimelineEntry {
    const full: TimelineEntry = { seq: ++this.seq, ...entry };
    this.ring[this.next] = full;
    this.next = (this.next + 1) % this.capacity;
    return full;
  }

  /** The entries kept, oldest first. */
  entries(): TimelineEntry[] {
    const out: TimelineEntry[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const entry = this.ring[(this.next + i) % this.capacity];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }
}

// Audit records: what went wrong at the boundary that the extension only
// saw as a status. Bounded: when full, the oldest go, and we count them.

export interface AuditRecord {
  /** milliseconds since the host started */
  at: number;
  /** what kind of event: an exception contained, a backend that disagreed, a rollback, an answer that came after the host gave up waiting */
  kind: 'exception' | 'disagreement' | 'rollback' | 'late';
  extension: string;
  syscall?: string;
  message: string;
}

export class Audit {
  private readonly items: AuditRecord[] = [];
  private droppedCount = 0;
  private readonly start = performance.now();

  constructor(readonly capacity = 1000) {}

  record(r: Omit<AuditRecord, 'at'>): void {
    if (this.items.length >= this.capacity) {
      this.items.shift();
      this.droppedCount++;
    }
    this.items.push({ at: Math.round(performance.now() - this.start), ...r });
  }

  get records(): readonly AuditRecord[] {
    return this.items;
  }

  /** records that did not fit and were dropped, oldest first */
  get dropped(): number {
    return this.droppedCount;
  }
}

/**
 * The endpoints this worker container has seen to be slow (core/lanes.ts): held in memory, not stored, so marking
 * costs nothing; each container learns a slow endpoint by itself, at the cost of one fast-lane patience.
 */
export class SlowMarks {
  private readonly until = new Map<string, number>();

  /** Until when the endpoint is marked slow; undefined when it is not (or the mark ran out). */
  get(endpointId: string, now: number): number | undefined {
    const until = this.until.get(endpointId);
    if (until === undefined) return undefined;
    if (until <= now) {
      this.until.delete(endpointId);
      return undefined;
    }
    return until;
  }

  mark(endpointId: string, until: number): void {
    this.until.set(endpointId, Math.max(until, this.until.get(endpointId) ?? 0));
  }

  clear(endpointId: string): void {
    this.until.delete(endpointId);
  }
}

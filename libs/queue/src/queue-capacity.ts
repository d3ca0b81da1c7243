/**
 * Admission with hysteresis: once the depth reaches the high watermark, new work is refused until the
 * depth falls under the low watermark, so a queue at the edge does not flap between 202 and 503 on
 * every request. Each process keeps its own switch; the depth it judges by is shared (Redis) or its own
 * (local queue).
 */
export class QueueCapacity {
  private accepting = true;
  private readonly high: number;
  private readonly low: number;

  constructor(maxSize: number, highWatermark: number, lowWatermark: number) {
    this.high = Math.max(1, Math.floor(maxSize * highWatermark));
    this.low = Math.min(this.high, Math.max(1, Math.ceil(maxSize * lowWatermark)));
  }

  /** Whether a depth is so far under the high watermark that a recent count of it may stand in for it. */
  roomy(depth: number): boolean {
    return this.accepting && depth < this.high / 2;
  }

  admits(depth: number): boolean {
    if (this.accepting && depth >= this.high) this.accepting = false;
    else if (!this.accepting && depth < this.low) this.accepting = true;
    return this.accepting;
  }
}

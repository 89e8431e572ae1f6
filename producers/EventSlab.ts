// Event bytes written back to back into shared slabs. An event then needs no Buffer
// of its own, and keeps no heap string alive while it waits to be packed and
// acknowledged: a waiting event's JSON, held as a string, costs more in garbage
// collection than writing it once (bench/producer.ts).

/**
 * Default slab size: Node's Buffer pool size (8 KiB), so a waiting event pins no more
 * memory than the pool slice `Buffer.from(json)` gave it did (an event retried for
 * its whole time-to-live keeps its slab alive; a larger slab would multiply that).
 */
export const EVENT_SLAB_BYTES = 8 * 1024;

export class EventSlab {
  private slab: Buffer;
  private used = 0;
  /** Where the last `write` put its bytes in the buffer it returned. */
  lastOffset = 0;

  constructor(private readonly slabBytes = EVENT_SLAB_BYTES) {
    this.slab = Buffer.allocUnsafeSlow(slabBytes);
  }

  /**
   * Writes `text`, whose UTF-8 size is `byteLength`, and returns the buffer that holds
   * it from `lastOffset`. A slab lives as long as any event written into it.
   */
  write(text: string, byteLength: number): Buffer {
    if (byteLength > this.slab.length - this.used) {
      this.slab = Buffer.allocUnsafeSlow(Math.max(this.slabBytes, byteLength));
      this.used = 0;
    }
    const at = this.used;
    // All ASCII (bytes === characters): latin1 copies it as it is, the fastest write.
    const written = byteLength === text.length ? this.slab.write(text, at, byteLength, 'latin1') : this.slab.write(text, at, byteLength, 'utf8');
    if (written !== byteLength) throw new RangeError(`text is ${written} bytes of UTF-8, not ${byteLength}`);
    this.used = at + byteLength;
    this.lastOffset = at;
    return this.slab;
  }
}

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

  /** Bytes the last `write` wrote. */
  lastBytes = 0;

  /**
   * Writes `text` as UTF-8 and returns the buffer that holds it, `lastBytes` long
   * from `lastOffset`. A slab lives as long as any event written into it.
   */
  write(text: string): Buffer {
    // Room for the worst case (3 bytes per UTF-16 unit) spares measuring the text
    // first; a text too big for a slab gets one of its own, of its exact size.
    let room = text.length * 3;
    if (room > this.slab.length - this.used) {
      if (room > this.slabBytes) room = Buffer.byteLength(text, 'utf8');
      this.slab = Buffer.allocUnsafeSlow(Math.max(this.slabBytes, room));
      this.used = 0;
    }
    const at = this.used;
    this.lastBytes = this.slab.write(text, at, 'utf8');
    this.used = at + this.lastBytes;
    this.lastOffset = at;
    return this.slab;
  }
}

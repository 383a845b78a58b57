import type { ZipEntry } from './entry.js';
import { centralDirectoryHeader, centralDirectoryHeaderName } from './headers.js';

/**
 * The central directory as it grows. Each entry's header is made as soon as its data is written
 * and copied into large buffers, so the writer keeps no object per entry: what an archive of
 * many entries costs is its headers' bytes (46 + name + 9, 28 more with ZIP64) and 24–48 bytes
 * of name table each (a position and a hash per slot). 200,000 entries with 75-byte names hold
 * about 170 bytes each (159 before the hashes were kept), where keeping an entry object and a name
 * string each held 772.
 */
export class CentralDirectoryRecords {
  entries = 0;
  private slabs: Buffer[] = [];
  /** Bytes used of the last slab; full to start with, so the first header takes a new one. */
  private used = slabSize;
  /**
   * The names already in the archive, for the duplicate check, as an open-addressing hash table
   * of where each entry's header is (slab × slabSize + offset, plus 1; 0 is an empty slot). The
   * names themselves are read back from the headers, so the check is exact and stores no string.
   * Kept at most half full, so a lookup probes two or three slots.
   */
  private slots = new Float64Array(1024);
  /** Each occupied slot's hash, so that growing the table rehashes numbers and reads no name back. */
  private hashes = new Uint32Array(1024);

  has(name: Buffer): boolean {
    return this.slots[this.slotOf(name, hashOf(name))] !== 0;
  }

  /** The entry's name must not be in the archive yet (has()). */
  add(entry: ZipEntry): void {
    const header = centralDirectoryHeader(entry);
    if (this.used + header.length > slabSize) {
      this.trimLastSlab();
      this.slabs.push(Buffer.allocUnsafe(slabSize));
      this.used = 0;
    }
    header.copy(this.slabs[this.slabs.length - 1]!, this.used);
    if ((this.entries + 1) * 2 > this.slots.length) this.growSlots();
    const hash = hashOf(entry.name);
    const slot = this.slotOf(entry.name, hash);
    this.slots[slot] = (this.slabs.length - 1) * slabSize + this.used + 1;
    this.hashes[slot] = hash;
    this.used += header.length;
    this.entries++;
  }

  /** The headers in entry order, a slab at a time; gives up their memory as it goes, so call it once, to write them. */
  *take(): Generator<Buffer> {
    this.trimLastSlab();
    const slabs = this.slabs;
    this.slabs = [];
    this.slots = new Float64Array(0);
    this.hashes = new Uint32Array(0);
    yield* slabs;
  }

  /** Views only the headers in it, which the writer sends as they are; the memory stays the same. */
  private trimLastSlab(): void {
    const last = this.slabs.length - 1;
    if (last >= 0) this.slabs[last] = this.slabs[last]!.subarray(0, this.used);
  }

  /** The slot holding `name`, or the empty slot where it would go. */
  private slotOf(name: Buffer, hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const held = this.slots[slot]!;
      if (held === 0 || this.nameAt(held - 1).equals(name)) return slot;
    }
  }

  private nameAt(position: number): Buffer {
    return centralDirectoryHeaderName(this.slabs[Math.floor(position / slabSize)]!, position % slabSize);
  }

  /** Names in the table are distinct, so each goes to the first empty slot from its hash: no name is compared. */
  private growSlots(): void {
    const { slots: oldSlots, hashes: oldHashes } = this;
    const slots = new Float64Array(oldSlots.length * 2);
    const hashes = new Uint32Array(slots.length);
    const mask = slots.length - 1;
    for (let i = 0; i < oldSlots.length; i++) {
      const position = oldSlots[i]!;
      if (position === 0) continue;
      const hash = oldHashes[i]!;
      let slot = hash & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = position;
      hashes[slot] = hash;
    }
    this.slots = slots;
    this.hashes = hashes;
  }
}

/** 200,000 entries' headers fill about thirty; the largest header (a 65,535-byte name) fits in one. */
const slabSize = 1 << 20;

/** FNV-1a, then MurmurHash3's finaliser: FNV's low bits, which pick the slot, mix poorly on their own. */
function hashOf(name: Buffer): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name[i]!, 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

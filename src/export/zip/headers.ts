import { max32, needsZip64Extra, type ZipEntry } from './entry.js';

/**
 * The records of a zip file, laid out field by field as APPNOTE.TXT 6.3.10 lists them, so each
 * can be checked against the spec line by line. Every number is little-endian.
 */

/** 2.0: deflate and folders. APPNOTE ties bit 11 to 6.3, but readers do not check it and yazl writes 2.0 too. */
const versionNeededDefault = 20;
/** 4.5: ZIP64 (APPNOTE 4.4.3.2). */
const versionNeededZip64 = 45;
/** Upper byte 3 (UNIX), so readers take permissions from the external attributes; lower byte spec 6.3. */
const versionMadeBy = (3 << 8) | 63;

/** Bit 3: CRC and sizes follow the data in a data descriptor, since a stream's are known only at its end. */
const flagDataDescriptor = 1 << 3;
/** Bit 11: the name is UTF-8 (APPNOTE appendix D). */
const flagUtf8 = 1 << 11;

const methodStored = 0;
const methodDeflated = 8;

/** UNIX mode in the upper half of the external attributes; 0x10 is the MS-DOS directory attribute. */
const fileAttributes = (0o100644 << 16) >>> 0;
const directoryAttributes = ((0o040755 << 16) | 0x10) >>> 0;

const localFileHeaderSize = 30;
const dataDescriptorSize = 16;
const zip64DataDescriptorSize = 24;
const centralDirectoryHeaderSize = 46;
const zip64EndOfCentralDirectorySize = 56;
const zip64EndOfCentralDirectoryLocatorSize = 20;
const endOfCentralDirectorySize = 22;

function flags(entry: ZipEntry): number {
  return entry.sizesFollow ? flagUtf8 | flagDataDescriptor : flagUtf8;
}

function method(entry: ZipEntry): number {
  return entry.compress ? methodDeflated : methodStored;
}

/** 4.3.7. */
export function localFileHeader(entry: ZipEntry): Buffer {
  // A stream's CRC and sizes are zero here (4.4.4): they follow in its data descriptor.
  const known = entry.sizesFollow
    ? { crc32: 0, compressed: 0, uncompressed: 0 }
    : { crc32: entry.crc32, compressed: entry.compressedSize, uncompressed: entry.uncompressedSize };
  const extra = Buffer.concat([entry.zip64 ? zip64LocalExtraField(known) : Buffer.alloc(0), extendedTimestampExtraField(entry)]);
  const header = Buffer.alloc(localFileHeaderSize);
  // local file header signature     4 bytes  (0x04034b50)
  header.writeUInt32LE(0x04034b50, 0);
  // version needed to extract       2 bytes
  header.writeUInt16LE(entry.zip64 ? versionNeededZip64 : versionNeededDefault, 4);
  // general purpose bit flag        2 bytes
  header.writeUInt16LE(flags(entry), 6);
  // compression method              2 bytes
  header.writeUInt16LE(method(entry), 8);
  // last mod file time              2 bytes
  header.writeUInt16LE(entry.modified.dos.time, 10);
  // last mod file date              2 bytes
  header.writeUInt16LE(entry.modified.dos.date, 12);
  // crc-32                          4 bytes
  header.writeUInt32LE(known.crc32, 14);
  // compressed size                 4 bytes
  // 0xFFFFFFFF sends a reader to the ZIP64 extra field (4.5.3).
  header.writeUInt32LE(entry.zip64 ? max32 : known.compressed, 18);
  // uncompressed size               4 bytes
  header.writeUInt32LE(entry.zip64 ? max32 : known.uncompressed, 22);
  // file name length                2 bytes
  header.writeUInt16LE(entry.name.length, 26);
  // extra field length              2 bytes
  header.writeUInt16LE(extra.length, 28);
  // file name (variable size)
  // extra field (variable size)
  return Buffer.concat([header, entry.name, extra]);
}

/** 4.3.9; the 8-byte sizes exactly when the local header declared ZIP64 (4.3.9.2). */
export function dataDescriptor(entry: ZipEntry): Buffer {
  const descriptor = Buffer.alloc(entry.zip64 ? zip64DataDescriptorSize : dataDescriptorSize);
  // data descriptor signature       4 bytes  (0x08074b50)
  // Optional (4.3.9.3) but written by every common tool; some readers look for it.
  descriptor.writeUInt32LE(0x08074b50, 0);
  // crc-32                          4 bytes
  descriptor.writeUInt32LE(entry.crc32, 4);
  if (entry.zip64) {
    // compressed size                 8 bytes
    descriptor.writeBigUInt64LE(BigInt(entry.compressedSize), 8);
    // uncompressed size               8 bytes
    descriptor.writeBigUInt64LE(BigInt(entry.uncompressedSize), 16);
  } else {
    // compressed size                 4 bytes
    descriptor.writeUInt32LE(entry.compressedSize, 8);
    // uncompressed size               4 bytes
    descriptor.writeUInt32LE(entry.uncompressedSize, 12);
  }
  return descriptor;
}

/** 4.3.12. */
export function centralDirectoryHeader(entry: ZipEntry): Buffer {
  const zip64 = needsZip64Extra(entry);
  const extra = Buffer.concat([zip64 ? zip64CentralExtraField(entry) : Buffer.alloc(0), extendedTimestampExtraField(entry)]);
  const header = Buffer.alloc(centralDirectoryHeaderSize);
  // central file header signature   4 bytes  (0x02014b50)
  header.writeUInt32LE(0x02014b50, 0);
  // version made by                 2 bytes
  header.writeUInt16LE(versionMadeBy, 4);
  // version needed to extract       2 bytes
  header.writeUInt16LE(zip64 ? versionNeededZip64 : versionNeededDefault, 6);
  // general purpose bit flag        2 bytes
  header.writeUInt16LE(flags(entry), 8);
  // compression method              2 bytes
  header.writeUInt16LE(method(entry), 10);
  // last mod file time              2 bytes
  header.writeUInt16LE(entry.modified.dos.time, 12);
  // last mod file date              2 bytes
  header.writeUInt16LE(entry.modified.dos.date, 14);
  // crc-32                          4 bytes
  header.writeUInt32LE(entry.crc32, 16);
  // With ZIP64 all three of the following are 0xFFFFFFFF, so the extra field holds all three,
  // in the order 4.5.3 gives.
  // compressed size                 4 bytes
  header.writeUInt32LE(zip64 ? max32 : entry.compressedSize, 20);
  // uncompressed size               4 bytes
  header.writeUInt32LE(zip64 ? max32 : entry.uncompressedSize, 24);
  // file name length                2 bytes
  header.writeUInt16LE(entry.name.length, 28);
  // extra field length              2 bytes
  header.writeUInt16LE(extra.length, 30);
  // file comment length             2 bytes
  header.writeUInt16LE(0, 32);
  // disk number start               2 bytes
  header.writeUInt16LE(0, 34);
  // internal file attributes        2 bytes
  header.writeUInt16LE(0, 36);
  // external file attributes        4 bytes
  header.writeUInt32LE(entry.isDirectory ? directoryAttributes : fileAttributes, 38);
  // relative offset of local header 4 bytes
  header.writeUInt32LE(zip64 ? max32 : entry.localHeaderOffset, 42);
  // file name (variable size)
  // extra field (variable size)
  // file comment (variable size): none
  return Buffer.concat([header, entry.name, extra]);
}

/** The name in the central directory header that starts at `at` in `records`. */
export function centralDirectoryHeaderName(records: Buffer, at: number): Buffer {
  const start = at + centralDirectoryHeaderSize;
  return records.subarray(start, start + records.readUInt16LE(at + 28));
}

/** Where the central directory is, and how big: what the end records describe. */
export interface CentralDirectory {
  entries: number;
  size: number;
  offset: number;
}

/** Whether the end of central directory record cannot hold these values, so ZIP64 end records are needed. */
export function needsZip64End(directory: CentralDirectory): boolean {
  // 0xFFFF entries would read as "see the ZIP64 record", so that count already needs one.
  return directory.entries >= 0xffff || directory.size >= max32 || directory.offset >= max32;
}

/** 4.3.14. */
export function zip64EndOfCentralDirectoryRecord(directory: CentralDirectory): Buffer {
  const record = Buffer.alloc(zip64EndOfCentralDirectorySize);
  // zip64 end of central dir signature                       4 bytes  (0x06064b50)
  record.writeUInt32LE(0x06064b50, 0);
  // size of zip64 end of central directory record            8 bytes
  // Counts what follows this field, not the leading 12 bytes (4.3.14.1).
  record.writeBigUInt64LE(BigInt(zip64EndOfCentralDirectorySize - 12), 4);
  // version made by                                          2 bytes
  record.writeUInt16LE(versionMadeBy, 12);
  // version needed to extract                                2 bytes
  record.writeUInt16LE(versionNeededZip64, 14);
  // number of this disk                                      4 bytes
  record.writeUInt32LE(0, 16);
  // number of the disk with the start of the central directory  4 bytes
  record.writeUInt32LE(0, 20);
  // total number of entries in the central directory on this disk  8 bytes
  record.writeBigUInt64LE(BigInt(directory.entries), 24);
  // total number of entries in the central directory         8 bytes
  record.writeBigUInt64LE(BigInt(directory.entries), 32);
  // size of the central directory                            8 bytes
  record.writeBigUInt64LE(BigInt(directory.size), 40);
  // offset of start of central directory with respect to the starting disk number  8 bytes
  record.writeBigUInt64LE(BigInt(directory.offset), 48);
  // zip64 extensible data sector    (variable size): none
  return record;
}

/** 4.3.15. */
export function zip64EndOfCentralDirectoryLocator(recordOffset: number): Buffer {
  const locator = Buffer.alloc(zip64EndOfCentralDirectoryLocatorSize);
  // zip64 end of central dir locator signature               4 bytes  (0x07064b50)
  locator.writeUInt32LE(0x07064b50, 0);
  // number of the disk with the start of the zip64 end of central directory  4 bytes
  locator.writeUInt32LE(0, 4);
  // relative offset of the zip64 end of central directory record  8 bytes
  locator.writeBigUInt64LE(BigInt(recordOffset), 8);
  // total number of disks                                    4 bytes
  locator.writeUInt32LE(1, 16);
  return locator;
}

/** 4.3.16; a value too big for its field is 0xFFFF… and found in the ZIP64 record instead (4.4.1.4). */
export function endOfCentralDirectoryRecord(directory: CentralDirectory): Buffer {
  const entries = Math.min(directory.entries, 0xffff);
  const record = Buffer.alloc(endOfCentralDirectorySize);
  // end of central dir signature    4 bytes  (0x06054b50)
  record.writeUInt32LE(0x06054b50, 0);
  // number of this disk             2 bytes
  record.writeUInt16LE(0, 4);
  // number of the disk with the start of the central directory  2 bytes
  record.writeUInt16LE(0, 6);
  // total number of entries in the central directory on this disk  2 bytes
  record.writeUInt16LE(entries, 8);
  // total number of entries in the central directory  2 bytes
  record.writeUInt16LE(entries, 10);
  // size of the central directory   4 bytes
  record.writeUInt32LE(Math.min(directory.size, max32), 12);
  // offset of start of central directory with respect to the starting disk number  4 bytes
  record.writeUInt32LE(Math.min(directory.offset, max32), 16);
  // .ZIP file comment length        2 bytes
  record.writeUInt16LE(0, 20);
  // .ZIP file comment       (variable size): none
  return record;
}

/** 4.5.3, local header form: both sizes (a stream's zero, as its data descriptor carries them). */
function zip64LocalExtraField(sizes: { compressed: number; uncompressed: number }): Buffer {
  const field = Buffer.alloc(20);
  // (ZIP64) 0x0001     2 bytes    Tag for this "extra" block type
  field.writeUInt16LE(0x0001, 0);
  // Size       2 bytes    Size of this "extra" block
  field.writeUInt16LE(16, 2);
  // Original Size       8 bytes    Original uncompressed file size
  field.writeBigUInt64LE(BigInt(sizes.uncompressed), 4);
  // Compressed Size     8 bytes    Size of compressed data
  field.writeBigUInt64LE(BigInt(sizes.compressed), 12);
  return field;
}

/** 4.5.3, central directory form. */
function zip64CentralExtraField(entry: ZipEntry): Buffer {
  const field = Buffer.alloc(28);
  // (ZIP64) 0x0001     2 bytes    Tag for this "extra" block type
  field.writeUInt16LE(0x0001, 0);
  // Size       2 bytes    Size of this "extra" block
  field.writeUInt16LE(24, 2);
  // Original Size       8 bytes    Original uncompressed file size
  field.writeBigUInt64LE(BigInt(entry.uncompressedSize), 4);
  // Compressed Size     8 bytes    Size of compressed data
  field.writeBigUInt64LE(BigInt(entry.compressedSize), 12);
  // Relative Header Offset  8 bytes    Offset of local header record
  field.writeBigUInt64LE(BigInt(entry.localHeaderOffset), 20);
  // Disk Start Number   4 bytes: left out, as the disk number start field is not 0xFFFF
  return field;
}

/**
 * Extended timestamp (0x5455, Info-ZIP extrafld.txt; APPNOTE 4.6.1 lists the ID): the modification
 * time in UTC to the second, where the DOS fields hold local time without a zone. Same bytes in
 * both headers, as only the modification time is given.
 */
function extendedTimestampExtraField(entry: ZipEntry): Buffer {
  if (entry.modified.unix === undefined) return Buffer.alloc(0);
  const field = Buffer.alloc(9);
  // 0x5455        Short       tag for this extra block type ("UT")
  field.writeUInt16LE(0x5455, 0);
  // TSize         Short       total data size for this block
  field.writeUInt16LE(5, 2);
  // Flags         Byte        info bits: bit 0, modification time present
  field.writeUInt8(1, 4);
  // (ModTime)     Long        time of last modification (UTC/GMT)
  field.writeInt32LE(entry.modified.unix, 5);
  return field;
}

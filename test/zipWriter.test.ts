import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { beforeEach, describe, it } from 'node:test';
import zlib from 'node:zlib';
import { prepareEntry } from '../src/export/zip/prepared.js';
import { ZipWriter } from '../src/export/zip/zipWriter.js';
import { tempDir } from './support/tempDirs.js';

/**
 * Every archive is reopened by readers that share no code with the writer: Info-ZIP's `unzip -t`
 * and Python's zipfile.
 */

/** Python's view of an archive: testzip(), the names in order, and for the entries asked for (all if none) what they hold. */
const readWithPython = String.raw`
import hashlib, json, struct, sys, zipfile

def extended_mtime(extra):
    while len(extra) >= 4:
        tag, size = struct.unpack('<HH', extra[:4])
        if tag == 0x5455:
            return struct.unpack('<i', extra[5:9])[0]
        extra = extra[4 + size:]
    return None

def local_header(fp, offset):
    fp.seek(offset)
    signature, _version, flags, _method, _time, _date, crc, compressed, size = struct.unpack('<IHHHHHIII', fp.read(26))
    assert signature == 0x04034b50
    return {'flags': flags, 'crc32': crc, 'compressedSize': compressed, 'size': size}

wanted = json.loads(sys.argv[2]) if len(sys.argv) > 2 else None
with zipfile.ZipFile(sys.argv[1]) as z:
    infos = z.infolist()
    entries = {}
    for info in infos:
        if wanted is not None and info.filename not in wanted:
            continue
        entries[info.filename] = {
            'size': info.file_size,
            'method': info.compress_type,
            'isDir': info.is_dir(),
            'utf8': bool(info.flag_bits & 0x800),
            'dateTime': list(info.date_time),
            'mtime': extended_mtime(info.extra),
            'sha256': hashlib.sha256(z.read(info)).hexdigest(),
            'flags': info.flag_bits,
            'local': local_header(z.fp, info.header_offset),
            'headerOffset': info.header_offset,
        }
    print(json.dumps({'bad': z.testzip(), 'count': len(infos), 'names': [i.filename for i in infos] if wanted is None else None, 'entries': entries}))
`;

interface PythonEntry {
  size: number;
  /** General-purpose bits, in the central directory and in the local header. */
  flags: number;
  local: { flags: number; crc32: number; compressedSize: number; size: number };
  headerOffset: number;
  method: number;
  isDir: boolean;
  utf8: boolean;
  dateTime: number[];
  mtime: number | null;
  sha256: string;
}

interface PythonView {
  bad: string | null;
  count: number;
  names: string[] | null;
  entries: Record<string, PythonEntry>;
}

function python(file: string, wanted?: string[]): PythonView {
  const args = ['-c', readWithPython, file, ...(wanted ? [JSON.stringify(wanted)] : [])];
  return JSON.parse(execFileSync('python3', args, { encoding: 'utf8', maxBuffer: 64 << 20 })) as PythonView;
}

/** `unzip -t` exits non-zero on any error, which makes execFileSync throw. */
function unzipTest(file: string): void {
  const report = execFileSync('unzip', ['-tqq', file], { encoding: 'utf8' });
  assert.equal(report, '');
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A name of exactly `bytes` bytes, in folders whose names are short enough for any system. */
function nameOfLength(bytes: number): string {
  const folders = Math.floor((bytes - 1) / 200);
  return 'f'.repeat(bytes - folders * 200) + `/${'n'.repeat(199)}`.repeat(folders);
}

/** `size` random bytes in 1 MiB chunks, hashed as they go out, produced only as fast as they are read. */
function randomSource(size: number, hash: ReturnType<typeof createHash>): Readable {
  let left = size;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const chunk = randomBytes(Math.min(left, 1 << 20));
      left -= chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
}

describe('ZipWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('elnport-zip-');
  });

  function zipFile(): { file: string; zip: ZipWriter; output: fs.WriteStream } {
    const file = path.join(dir, 'out.zip');
    const output = fs.createWriteStream(file);
    return { file, zip: new ZipWriter(output), output };
  }

  it('writes stored and deflated files, an empty file and folders, with UTF-8 names', async () => {
    const { file, zip } = zipFile();
    const text = 'Résumé: une expérience réussie.\n'.repeat(200);
    const binary = randomBytes(5000);
    await zip.addDirectory('top');
    await zip.addDirectory('top/données/');
    await zip.addBuffer('top/données/été.txt', text);
    await zip.addBuffer('top/stored.bin', binary, { compress: false });
    await zip.addStream('top/streamed.txt', Readable.from(['one ', 'two ', Buffer.from('three')]));
    await zip.addBuffer('top/empty.txt', '');
    await zip.addBuffer('top/empty-stored.txt', Buffer.alloc(0), { compress: false });
    await zip.finish();

    unzipTest(file);
    const view = python(file);
    assert.equal(view.bad, null);
    assert.deepEqual(view.names, [
      'top/', 'top/données/', 'top/données/été.txt', 'top/stored.bin', 'top/streamed.txt', 'top/empty.txt', 'top/empty-stored.txt',
    ]);
    const entries = view.entries;
    assert.ok(Object.values(entries).every((entry) => entry.utf8));
    assert.deepEqual([entries['top/']?.isDir, entries['top/données/']?.isDir, entries['top/stored.bin']?.isDir], [true, true, false]);
    assert.deepEqual(entries['top/données/été.txt'], { ...entries['top/données/été.txt'], method: 8, size: Buffer.byteLength(text), sha256: sha256(text) });
    assert.deepEqual(entries['top/stored.bin'], { ...entries['top/stored.bin'], method: 0, size: 5000, sha256: sha256(binary) });
    assert.equal(entries['top/streamed.txt']?.sha256, sha256('one two three'));
    assert.deepEqual([entries['top/empty.txt']?.size, entries['top/empty.txt']?.method], [0, 8]);
    assert.deepEqual([entries['top/empty-stored.txt']?.size, entries['top/empty-stored.txt']?.method], [0, 0]);
  });

  it('writes prepared, buffered, streamed and stored entries side by side, sizes up front where they are known', async () => {
    const { file, zip } = zipFile();
    const page = '<p>Lab notes, day 12: incubated, measured, logged.</p>\n'.repeat(300);
    const image = randomBytes(40000);
    const xml = '<?xml version="1.0"?><doc>été</doc>';
    const big = Buffer.from('compressible line of a large text attachment\n'.repeat(30000));
    // The path a prepared entry carries is the renderer's; the writer takes the name it is given.
    const prepared = prepareEntry('doc_Day-12-3/doc_Day-12-3.html', page, true);
    await zip.addDirectory('top');
    await zip.addPrepared('top/doc/page.html', prepared);
    await zip.addPrepared('top/doc/image.png', prepareEntry('image.png', image, false));
    await zip.addPrepared('top/doc/doc.xml', prepareEntry('doc.xml', Buffer.from(xml), true));
    await zip.addPrepared('top/doc/empty.txt', prepareEntry('empty.txt', '', true));
    await zip.addBuffer('top/buffered.txt', xml);
    await zip.addBuffer('top/buffered-stored.bin', image, { compress: false });
    // Over the 1 MiB that addBuffer prepares in one call: streamed, with its size given.
    await zip.addBuffer('top/big.txt', big);
    await zip.addStream('top/streamed.bin', Readable.from([image.subarray(0, 1000), image.subarray(1000)]), { compress: false });
    await zip.addStream('top/streamed.txt', Readable.from([page]));
    await zip.addPrepared('top/last.html', prepareEntry('last.html', page, true));
    await zip.finish();

    unzipTest(file);
    const view = python(file);
    assert.equal(view.bad, null);
    const expected: Record<string, { data: Buffer | string; method: number; sizesFollow: boolean }> = {
      'top/doc/page.html': { data: page, method: 8, sizesFollow: false },
      'top/doc/image.png': { data: image, method: 0, sizesFollow: false },
      'top/doc/doc.xml': { data: xml, method: 8, sizesFollow: false },
      'top/doc/empty.txt': { data: '', method: 8, sizesFollow: false },
      'top/buffered.txt': { data: xml, method: 8, sizesFollow: false },
      'top/buffered-stored.bin': { data: image, method: 0, sizesFollow: false },
      'top/big.txt': { data: big, method: 8, sizesFollow: true },
      'top/streamed.bin': { data: image, method: 0, sizesFollow: true },
      'top/streamed.txt': { data: page, method: 8, sizesFollow: true },
      'top/last.html': { data: page, method: 8, sizesFollow: false },
    };
    assert.deepEqual(view.names, ['top/', ...Object.keys(expected)]);
    for (const [name, { data, method, sizesFollow }] of Object.entries(expected)) {
      const entry = view.entries[name]!;
      const bytes = Buffer.from(data);
      assert.deepEqual([entry.sha256, entry.size, entry.method], [sha256(bytes), bytes.length, method], name);
      // Bit 3 (data descriptor) in both headers exactly for streams; otherwise the local header holds the CRC and size.
      assert.deepEqual([entry.flags & 8, entry.local.flags & 8], sizesFollow ? [8, 8] : [0, 0], name);
      if (!sizesFollow) assert.deepEqual([entry.local.crc32, entry.local.size], [zlib.crc32(bytes), bytes.length], name);
    }
    assert.equal(view.entries['top/']!.local.flags & 8, 0);
  });

  it('writes a prepared entry exactly as prepared, and refuses one that does not add up, staying usable', async () => {
    const { file, zip } = zipFile();
    const text = 'the same bytes on any thread\n'.repeat(100);
    const prepared = prepareEntry('a.txt', text, true);
    assert.deepEqual(zlib.inflateRawSync(prepared.data), Buffer.from(text));
    assert.deepEqual({ ...prepared, data: undefined }, { path: 'a.txt', crc32: zlib.crc32(text), size: Buffer.byteLength(text), compressed: true, data: undefined, sha256: undefined });
    // Asked for (a .eln archive's pages), the sha256 of the uncompressed bytes, taken with the CRC.
    assert.equal(prepareEntry('a.txt', text, true, true).sha256, sha256(text));
    assert.deepEqual(prepareEntry('b.bin', Buffer.from('raw'), false).data, Buffer.from('raw'));

    const stored = prepareEntry('s.txt', 'stored', false);
    await assert.rejects(zip.addPrepared('s.txt', { ...stored, size: 7 }), /is stored, with 6 bytes where its size says 7/);
    await assert.rejects(zip.addPrepared('s.txt', { ...stored, crc32: -1 }), /CRC32 is not a 32-bit number/);
    await assert.rejects(zip.addPrepared('s.txt', { ...stored, size: 1.5 }), /size is not a whole number/);
    await assert.rejects(zip.addPrepared('../s.txt', stored), /'\.\.' segment/);
    assert.equal(zip.bytesWritten, 0);
    await zip.addPrepared('a.txt', prepared);
    await assert.rejects(zip.addPrepared('a.txt', prepared), /already in the archive/);
    await zip.finish();
    const view = python(file);
    assert.deepEqual(view.names, ['a.txt']);
    assert.equal(view.entries['a.txt']?.sha256, sha256(text));
  });

  it('refuses every name already in the archive among thousands, and only those', async () => {
    const { file, zip } = zipFile();
    const names = Array.from({ length: 3000 }, (_, i) => `top/doc_Day-${i}/doc_Day-${i}.html`);
    await zip.addDirectory('top/a');
    for (const name of names) await zip.addBuffer(name, name, { compress: false });
    for (const name of names) await assert.rejects(zip.addBuffer(name, 'again'), /already in the archive/, name);
    await assert.rejects(zip.addDirectory('top/a/'), /already in the archive/);
    // A file and a folder are different entries, and so are names that differ only in case.
    await zip.addBuffer('top/a', 'a file beside the folder a/');
    await zip.addBuffer('TOP/doc_Day-1/doc_Day-1.html', 'upper case');
    await zip.addDirectory('top/doc_Day-1/doc_Day-1.html');
    await zip.finish();
    unzipTest(file);
    assert.equal(python(file, []).count, 3004);
  });

  it('keeps the central directory whole across its buffers, with names up to the longest a header holds', async () => {
    const { file, zip } = zipFile();
    // 600 headers of 4 KB (unzip truncates longer names) spill from one 1 MiB buffer to the next.
    const names = Array.from({ length: 600 }, (_, i) => `${nameOfLength(3900 + (i % 7) * 29)}/${i}.txt`);
    for (const name of names) await zip.addBuffer(name, name.slice(-10));
    await zip.finish();
    unzipTest(file);
    const view = python(file);
    assert.equal(view.bad, null);
    assert.deepEqual(view.names, names);
    for (const name of names) assert.equal(view.entries[name]?.sha256, sha256(name.slice(-10)), name);

    const longest = path.join(dir, 'longest.zip');
    const longZip = new ZipWriter(fs.createWriteStream(longest));
    const longNames = [nameOfLength(0xffff), ...Array.from({ length: 20 }, (_, i) => `${nameOfLength(60000)}/${i}`)];
    for (const name of longNames) await longZip.addBuffer(name, 'long');
    await longZip.finish();
    const longView = python(longest);
    assert.equal(longView.bad, null);
    assert.deepEqual(longView.names, longNames);
  });

  it('keeps the modification time as DOS local time and, to the second, as UTC', async () => {
    const { file, zip } = zipFile();
    const mtime = new Date(2021, 4, 6, 7, 8, 11, 500);
    await zip.addBuffer('a.txt', 'a', { mtime });
    await zip.addDirectory('d', { mtime });
    await zip.finish();

    for (const entry of Object.values(python(file).entries)) {
      // DOS time has two-second steps.
      assert.deepEqual(entry.dateTime, [2021, 5, 6, 7, 8, 10]);
      assert.equal(entry.mtime, Math.floor(mtime.getTime() / 1000));
    }
  });

  it('reports the CRC32, sha256 and size of the whole file as written, and the entry count', async () => {
    const { file, zip } = zipFile();
    await zip.addDirectory('top');
    await zip.addBuffer('top/a.txt', 'alpha');
    await zip.addStream('top/b.bin', Readable.from([randomBytes(70000)]), { compress: false });
    const written = zip.bytesWritten;
    const summary = await zip.finish();

    const bytes = fs.readFileSync(file);
    assert.deepEqual(summary, { entries: 3, bytes: bytes.length, crc32: zlib.crc32(bytes), sha256: sha256(bytes) });
    assert.ok(written > 70000 && written < summary.bytes, 'bytesWritten counts the entries before the central directory');
    assert.equal(zip.bytesWritten, bytes.length);
  });

  it('writes an archive with no entries that readers accept', async () => {
    const { file, zip } = zipFile();
    const summary = await zip.finish();
    assert.equal(summary.bytes, 22);
    assert.equal(python(file).count, 0);
  });

  it('streams a 20 MB random entry through, checked byte for byte', async () => {
    const { file, zip } = zipFile();
    const hash = createHash('sha256');
    await zip.addStream('big.bin', randomSource(20 << 20, hash));
    await zip.finish();

    unzipTest(file);
    const view = python(file);
    assert.equal(view.bad, null);
    assert.deepEqual(view.entries['big.bin'], { ...view.entries['big.bin'], size: 20 << 20, sha256: hash.digest('hex') });
  });

  it('rejects unsafe names before writing anything, and stays usable', async () => {
    const { file, zip } = zipFile();
    const bad: [string, RegExp][] = [
      ['', /is empty/],
      ['/etc/passwd', /is absolute/],
      ['C:/Windows/x', /is absolute/],
      ['top/../../x', /'\.\.' segment/],
      ['..', /'\.\.' segment/],
      ['top\\..\\x', /backslash/],
      ['a\0b', /NUL/],
      ['a//b', /empty or '\.' segment/],
      ['./a', /empty or '\.' segment/],
      ['folder/', /not a directory/],
      ['\ud800.txt', /well-formed Unicode/],
      ['x'.repeat(0x10000), /longer than 65535 bytes/],
    ];
    for (const [name, message] of bad) {
      await assert.rejects(zip.addBuffer(name, 'x'), message, JSON.stringify(name).slice(0, 40));
    }
    await assert.rejects(zip.addDirectory('/'), /is empty/);
    await assert.rejects(zip.addDirectory('a/../..'), /'\.\.' segment/);
    await assert.rejects(zip.addStream('/abs', Readable.from(['x'])), /is absolute/);
    assert.equal(zip.bytesWritten, 0);

    await zip.addBuffer('ok.txt', 'fine');
    await assert.rejects(zip.addBuffer('ok.txt', 'again'), /already in the archive/);
    await zip.finish();
    assert.deepEqual(python(file).names, ['ok.txt']);
  });

  it('rejects addStream when its source fails mid-way, destroys the output, and refuses every later call', async () => {
    const { zip, output } = zipFile();
    await zip.addBuffer('before.txt', 'fine');
    const source = Readable.from((async function* () {
      yield randomBytes(100000);
      throw new Error('the blob store went away');
    })());
    await assert.rejects(zip.addStream('broken.bin', source), (error: Error) => {
      assert.match(error.message, /Could not add "broken\.bin" to the zip: the blob store went away/);
      assert.equal((error.cause as Error).message, 'the blob store went away');
      return true;
    });
    assert.ok(output.destroyed);
    await assert.rejects(zip.addBuffer('after.txt', 'x'), /failed earlier \(the blob store went away\)/);
    await assert.rejects(zip.finish(), /failed earlier/);
  });

  it('rejects the pending call when the output fails, and every later call', async () => {
    let received = 0;
    const output = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        done(received > 50000 ? new Error('disk full') : null);
      },
    });
    const zip = new ZipWriter(output);
    await assert.rejects(zip.addStream('a.bin', randomSource(1 << 20, createHash('sha256')), { compress: false }), /Could not add "a\.bin" to the zip: disk full/);
    await assert.rejects(zip.addBuffer('b.txt', 'x'), /failed earlier \(disk full\)/);
  });

  it('rejects an add while another entry is being written, without disturbing it', async () => {
    const { file, zip } = zipFile();
    const source = new PassThrough();
    const first = zip.addStream('slow.txt', source);
    await assert.rejects(zip.addBuffer('eager.txt', 'x'), /while "slow\.txt" is being written/);
    await assert.rejects(zip.finish(), /while "slow\.txt" is being written/);
    source.end('slow but whole');
    await first;
    await zip.finish();
    const view = python(file);
    assert.deepEqual(view.names, ['slow.txt']);
    assert.equal(view.entries['slow.txt']?.sha256, sha256('slow but whole'));
  });

  it('rejects a stream that gives a different number of bytes than its size said', async () => {
    const { zip } = zipFile();
    await assert.rejects(zip.addStream('short.bin', Readable.from([Buffer.alloc(10)]), { size: 11 }), /gave 10 bytes where 11 were announced/);
  });

  it('writes ZIP64 end records for 65,537 entries', async () => {
    const { file, zip } = zipFile();
    const count = 65537;
    for (let i = 0; i < count; i++) {
      // Mostly stored, to keep the test quick; some deflated, so both kinds sit past entry 65,535.
      await zip.addBuffer(`top/${i}.txt`, `entry ${i}\n`, { compress: i % 1000 === 0 });
    }
    const summary = await zip.finish();
    assert.equal(summary.entries, count);

    const bytes = fs.readFileSync(file);
    // End record (22 bytes) preceded by the ZIP64 locator (20) pointing at the ZIP64 end record.
    assert.equal(bytes.readUInt32LE(bytes.length - 22), 0x06054b50);
    assert.equal(bytes.readUInt16LE(bytes.length - 22 + 10), 0xffff);
    assert.equal(bytes.readUInt32LE(bytes.length - 42), 0x07064b50);
    const zip64End = Number(bytes.readBigUInt64LE(bytes.length - 42 + 8));
    assert.equal(bytes.readUInt32LE(zip64End), 0x06064b50);
    assert.equal(bytes.readBigUInt64LE(zip64End + 32), BigInt(count));

    unzipTest(file);
    const sample = [0, 1, 1000, 65534, 65535, 65536].map((i) => `top/${i}.txt`);
    const view = python(file, sample);
    assert.equal(view.bad, null);
    assert.equal(view.count, count);
    for (const name of sample) {
      const i = name.slice(4, -4);
      assert.equal(view.entries[name]?.sha256, sha256(`entry ${i}\n`), name);
    }
  });

  it('refuses a stream without a size that grows to 4 GiB, as its header cannot describe it', async () => {
    const zip = new ZipWriter(new Writable({ write: (_chunk, _encoding, done) => done() }));
    const chunk = Buffer.alloc(1 << 24);
    const source = Readable.from((function* () {
      for (let i = 0; i < 257; i++) yield chunk;
    })());
    await assert.rejects(zip.addStream('huge.bin', source, { compress: false }), /reached 4 GiB but its size was not given up front/);
  });

  it('writes a ZIP64 entry past 4 GiB when its size is given (ELNPORT_ZIP_LARGE=1: 4 GiB on disk, about a minute)', { skip: !process.env.ELNPORT_ZIP_LARGE }, async () => {
    const { file, zip } = zipFile();
    const size = 2 ** 32 + 10;
    const chunk = Buffer.alloc(1 << 24, 7);
    let left = size;
    const source = Readable.from((function* () {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        yield piece;
      }
    })());
    await zip.addBuffer('top/small-before.txt', 'before');
    await zip.addStream('top/huge.bin', source, { size, compress: false });
    // Past 4 GiB of offset each kind of entry needs ZIP64 in its central directory header.
    const page = '<p>after the huge file</p>\n'.repeat(100);
    const after = { 'top/small-after.txt': 'after', 'top/prepared-after.html': page, 'top/streamed-after.txt': page };
    await zip.addBuffer('top/small-after.txt', 'after');
    await zip.addPrepared('top/prepared-after.html', prepareEntry('prepared-after.html', page, true));
    await zip.addStream('top/streamed-after.txt', Readable.from([page]));
    await zip.addDirectory('top/folder-after');
    const summary = await zip.finish();
    assert.equal(summary.bytes, fs.statSync(file).size);
    const whole = createHash('sha256');
    for await (const piece of fs.createReadStream(file, { highWaterMark: 1 << 22 })) whole.update(piece as Buffer);
    assert.equal(summary.sha256, whole.digest('hex'));

    unzipTest(file);
    const view = python(file, [...Object.keys(after), 'top/folder-after/']);
    assert.equal(view.bad, null);
    assert.equal(view.count, 6);
    for (const [name, data] of Object.entries(after)) {
      assert.equal(view.entries[name]?.sha256, sha256(data), name);
      assert.ok(view.entries[name]!.headerOffset > 2 ** 32, name);
    }
    assert.ok(view.entries['top/folder-after/']?.isDir);
    const sizes = execFileSync('python3', ['-c', 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).getinfo("top/huge.bin").file_size)', file], { encoding: 'utf8' });
    assert.equal(Number(sizes), size);
  });
});

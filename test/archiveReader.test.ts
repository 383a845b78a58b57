import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import { LocalBlobStore } from '../src/blobs/localBlobStore.js';
import { ElnportError } from '../src/domain/errors.js';
import { blobInput, InputFailure, type RandomAccessInput } from '../src/import/archiveInput.js';
import { openArchive, type OpenedArchive } from '../src/import/archiveReader.js';
import { defaultImportLimits, type ImportLimits } from '../src/import/limits.js';
import { tempDir } from './support/tempDirs.js';

const work = tempDir('elnport-archive-reader-');
const blobs = new LocalBlobStore(path.join(work, 'blobs'));
let made = 0;

interface Spec {
  name: string;
  text?: string;
  zeros?: number;
  /** ZipInfo.external_attr, with create_system set to Unix. */
  attr?: number;
  method?: 'stored' | 'deflated' | 'bzip2';
}

/** Python's zipfile writes names and attributes exactly as given, which no well-behaved zip tool will. */
const writeZip = `
import json, sys, zipfile
methods = {'stored': zipfile.ZIP_STORED, 'deflated': zipfile.ZIP_DEFLATED, 'bzip2': zipfile.ZIP_BZIP2}
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for e in json.loads(sys.argv[2]):
        info = zipfile.ZipInfo(e['name'], (2024, 1, 1, 0, 0, 0))
        info.compress_type = methods[e.get('method', 'deflated')]
        if 'attr' in e:
            info.create_system = 3
            info.external_attr = e['attr']
        data = b'\\0' * e['zeros'] if 'zeros' in e else e.get('text', '').encode()
        z.writestr(info, data)
`;

function zip(specs: Spec[]): string {
  const file = path.join(work, `made-${made++}.zip`);
  execFileSync('python3', ['-W', 'ignore', '-c', writeZip, file, JSON.stringify(specs)]);
  return file;
}

/** Python's view of an archive: every entry's name, declared size and (unless told not to read) sha256 of its bytes. */
function pythonListing(file: string, read = true): { name: string; size: number; sha256: string; dir: boolean }[] {
  const script = `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
read = sys.argv[2] == 'read'
print(json.dumps([{'name': i.filename, 'size': i.file_size, 'dir': i.is_dir(),
  'sha256': hashlib.sha256(z.read(i)).hexdigest() if read and not i.is_dir() else ''} for i in z.infolist()]))
`;
  const args = ['-c', script, file, read ? 'read' : 'list'];
  return JSON.parse(execFileSync('python3', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
}

async function inputOf(file: string): Promise<RandomAccessInput> {
  const stored = await blobs.put(fs.createReadStream(file));
  return blobInput(blobs, stored.key, stored.size);
}

async function openFile(file: string, limits: ImportLimits = defaultImportLimits): Promise<OpenedArchive> {
  return openArchive(await inputOf(file), limits);
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Every refusal is the one import error (422) and names what is wrong. */
async function assertRefused(attempt: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(attempt, (error: unknown) => {
    assert.ok(error instanceof ElnportError, `not an ElnportError: ${String(error)}`);
    assert.equal(error.httpCode, 422);
    assert.match(error.message, message);
    return true;
  });
}

/** Same-length byte patches, at every place the pattern occurs (local header and central directory alike). */
function patched(file: string, edit: (bytes: Buffer) => void): string {
  const bytes = fs.readFileSync(file);
  edit(bytes);
  const out = path.join(work, `patched-${made++}.zip`);
  fs.writeFileSync(out, bytes);
  return out;
}

function offsetsOf(bytes: Buffer, signature: number): number[] {
  const found: number[] = [];
  for (let at = bytes.indexOf(Buffer.from([0x50, 0x4b])); at !== -1; at = bytes.indexOf(Buffer.from([0x50, 0x4b]), at + 1)) {
    if (at + 4 <= bytes.length && bytes.readUInt32LE(at) === signature) found.push(at);
  }
  return found;
}
const localHeader = 0x04034b50;
const centralHeader = 0x02014b50;

/** Rewrites the declared sizes of a one-entry zip in both its headers. */
function declareSizes(file: string, sizes: { compressed?: number; uncompressed: number }): string {
  return patched(file, (bytes) => {
    for (const at of offsetsOf(bytes, localHeader)) {
      if (sizes.compressed !== undefined) bytes.writeUInt32LE(sizes.compressed, at + 18);
      bytes.writeUInt32LE(sizes.uncompressed, at + 22);
    }
    for (const at of offsetsOf(bytes, centralHeader)) {
      if (sizes.compressed !== undefined) bytes.writeUInt32LE(sizes.compressed, at + 20);
      bytes.writeUInt32LE(sizes.uncompressed, at + 24);
    }
  });
}

describe('a well-formed archive', () => {
  const metadata = JSON.stringify({ '@context': 'https://w3id.org/ro/crate/1.1/context', name: 'Blot – β' });
  const file = zip([
    { name: 'proj/' },
    { name: 'proj/ro-crate-metadata.json', text: metadata },
    { name: 'proj/data/' },
    { name: 'proj/data/run.csv', text: 'a,b\n1,2\n'.repeat(1000), method: 'deflated' },
    { name: 'proj/data/raw.bin', text: 'stored bytes', method: 'stored' },
    { name: 'proj/.DS_Store', text: 'finder' },
    { name: '__MACOSX/proj/._raw.bin', text: 'fork' },
    { name: 'proj/empty.txt', text: '' },
  ]);

  test('lists the files below the top folder, without folders or macOS clutter, with their sizes', async () => {
    const archive = await openFile(file);
    try {
      assert.equal(archive.top, 'proj');
      assert.deepEqual(
        [...archive.entries].sort((a, b) => a.path.localeCompare(b.path)),
        [
          { path: 'data/raw.bin', size: 12 },
          { path: 'data/run.csv', size: 8000 },
          { path: 'empty.txt', size: 0 },
          { path: 'ro-crate-metadata.json', size: Buffer.byteLength(metadata) },
        ],
      );
    } finally {
      await archive.close();
    }
  });

  test('reads text and streams bytes, stored or deflated, as Python reads them', async () => {
    const archive = await openFile(file);
    try {
      assert.equal(await archive.readText('ro-crate-metadata.json', 10_000), metadata);
      assert.equal((await bytesOf(await archive.open('data/run.csv'))).toString(), 'a,b\n1,2\n'.repeat(1000));
      assert.equal((await bytesOf(await archive.open('data/raw.bin'))).toString(), 'stored bytes');
      assert.equal((await bytesOf(await archive.open('empty.txt'))).length, 0);
      // Paths as metadata writes them find the same entries.
      assert.equal((await bytesOf(await archive.open('./data//raw.bin'))).toString(), 'stored bytes');
    } finally {
      await archive.close();
    }
  });

  test('refuses text over its limit, and a path it does not have', async () => {
    const archive = await openFile(file);
    try {
      await assertRefused(archive.readText('ro-crate-metadata.json', 10), /"ro-crate-metadata\.json" is \d+ bytes, more than the 10 bytes/);
      await assertRefused(archive.open('data/missing.csv'), /no file "data\/missing\.csv"/);
      await assertRefused(archive.open('.DS_Store'), /no file "\.DS_Store"/);
    } finally {
      await archive.close();
    }
  });

  test('refuses text that is not UTF-8', async () => {
    const latin1 = patched(zip([{ name: 'notes.txt', text: 'caf?', method: 'stored' }]), (bytes) => {
      const at = bytes.lastIndexOf('caf?');
      bytes[at + 3] = 0xe9;
      // The CRC must match the altered bytes, or the read fails as damaged first.
      const crc = zlib.crc32(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
      for (const h of offsetsOf(bytes, localHeader)) bytes.writeUInt32LE(crc, h + 14);
      for (const h of offsetsOf(bytes, centralHeader)) bytes.writeUInt32LE(crc, h + 16);
    });
    const archive = await openFile(latin1);
    try {
      await assertRefused(archive.readText('notes.txt', 100), /"notes\.txt" is not UTF-8 text/);
    } finally {
      await archive.close();
    }
  });
});

describe('the top folder', () => {
  const cases: [string, Spec[], string][] = [
    ['one common first folder', [{ name: 'a/x.txt' }, { name: 'a/b/y.txt' }], 'a'],
    ['files at the root beside a folder', [{ name: 'x.txt' }, { name: 'b/y.txt' }], ''],
    ['two first folders', [{ name: 'a/x.txt' }, { name: 'b/y.txt' }], ''],
    ['one file at the root', [{ name: 'only.txt' }], ''],
    ['a second top that is only macOS clutter', [{ name: 'a/x.txt' }, { name: '__MACOSX/a/._x.txt' }, { name: '.DS_Store' }], 'a'],
  ];
  for (const [what, specs, top] of cases) {
    test(`${what}: top is "${top}"`, async () => {
      const archive = await openFile(zip(specs));
      try {
        assert.equal(archive.top, top);
        const full = specs.map((s) => s.name).filter((n) => !n.startsWith('__MACOSX/') && !n.endsWith('.DS_Store'));
        assert.deepEqual(archive.entries.map((e) => (top ? `${top}/${e.path}` : e.path)).sort(), full.sort());
      } finally {
        await archive.close();
      }
    });
  }
});

describe('names that leave the folder or cannot be trusted', () => {
  const names: [string, RegExp][] = [
    ['../evil', /"\.\.\/evil" leaves its folder/],
    ['a/../../evil', /"a\/\.\.\/\.\.\/evil" leaves its folder/],
    ['top/..', /"top\/\.\." leaves its folder/],
    ['/etc/x', /"\/etc\/x" has an absolute path/],
    ['C:/Windows/x', /"C:\/Windows\/x" has an absolute path/],
    ['C:x', /"C:x" has an absolute path/],
    ['..\\x', /"\.\.\\x" has a backslash/],
    ['top\\x', /"top\\x" has a backslash/],
    ['./', /"\.\/" has no name/],
  ];
  for (const [name, message] of names) {
    test(`refuses ${JSON.stringify(name)}`, async () => {
      await assertRefused(openFile(zip([{ name: 'top/fine.txt', text: 'ok' }, { name, text: 'x' }])), message);
    });
  }

  test('refuses a NUL in a name', async () => {
    // Python cuts a name at NUL, so the NUL is patched in afterwards.
    const file = patched(zip([{ name: 'top/nulXname.txt', text: 'x' }]), (bytes) => {
      for (let at = bytes.indexOf('nulXname'); at !== -1; at = bytes.indexOf('nulXname', at + 1)) bytes[at + 3] = 0;
    });
    await assertRefused(openFile(file), /"top\/nul\\u0000name\.txt" has a NUL character/);
  });

  test('refuses the same name twice, also when it differs only by Unicode form or empty segments', async () => {
    await assertRefused(openFile(zip([{ name: 'top/a.txt' }, { name: 'top/a.txt' }])), /"top\/a\.txt" appears twice/);
    await assertRefused(openFile(zip([{ name: 'top/caf\u00e9.txt' }, { name: 'top/cafe\u0301.txt' }])), /"top\/café\.txt" appears twice/);
    await assertRefused(openFile(zip([{ name: 'top/d/a.txt' }, { name: 'top/d//./a.txt' }])), /"top\/d\/a\.txt" appears twice/);
  });

  test('refuses a symbolic link and other entries that are not files', async () => {
    await assertRefused(openFile(zip([{ name: 'top/a.txt' }, { name: 'top/link', text: '/etc/passwd', attr: 0o120777 * 0x10000 }])), /"top\/link" is a symbolic link/);
    await assertRefused(openFile(zip([{ name: 'top/fifo', attr: 0o010644 * 0x10000 }])), /"top\/fifo" is not a file or a folder/);
  });
});

describe('entries it cannot read', () => {
  test('refuses an encrypted entry', async () => {
    const dir = tempDir('elnport-encrypted-');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'results');
    execFileSync('zip', ['-q', '-P', 'pass', 'locked.zip', 'secret.txt'], { cwd: dir });
    await assertRefused(openFile(path.join(dir, 'locked.zip')), /"secret\.txt" is encrypted/);
  });

  test('refuses compression other than stored and deflated', async () => {
    await assertRefused(openFile(zip([{ name: 'top/a.txt', text: 'x'.repeat(100), method: 'bzip2' }])), /"top\/a\.txt" is compressed with method 12/);
  });
});

describe('uploads that are not zip archives', () => {
  const good = zip([{ name: 'top/a.txt', text: 'a'.repeat(5000) }, { name: 'top/b.txt', text: 'b' }]);
  const cases: [string, () => string][] = [
    ['plain text', () => {
      const file = path.join(work, 'notes.zip');
      fs.writeFileSync(file, 'These are my notes, not an archive.\n'.repeat(100));
      return file;
    }],
    ['an empty file', () => {
      const file = path.join(work, 'empty.zip');
      fs.writeFileSync(file, '');
      return file;
    }],
    ['a truncated archive', () => {
      const file = path.join(work, 'truncated.zip');
      fs.writeFileSync(file, fs.readFileSync(good).subarray(0, 200));
      return file;
    }],
    ['a corrupt central directory', () => patched(good, (bytes) => bytes.writeUInt32LE(0x12345678, offsetsOf(bytes, centralHeader)[1]!))],
  ];
  for (const [what, make] of cases) {
    test(`refuses ${what}`, async () => {
      await assertRefused(openFile(make()), /cannot be read as a zip archive/);
    });
  }

  test('refuses an entry whose data would lie beyond the end of the upload', async () => {
    const file = declareSizes(zip([{ name: 'top/a.txt', text: 'abc', method: 'stored' }]), { compressed: 1_000_000, uncompressed: 1_000_000 });
    await assertRefused(openFile(file), /"top\/a\.txt" lies beyond the end of the upload/);
  });
});

describe('limits', () => {
  const small = (limits: Partial<ImportLimits>): ImportLimits => ({ ...defaultImportLimits, ...limits });

  test('refuses more entries than allowed, naming the setting', async () => {
    const file = zip([1, 2, 3, 4, 5].map((n) => ({ name: `top/${n}.txt` })));
    await assertRefused(openFile(file, small({ maxEntries: 4 })), /5 entries, more than the 4 .*ELNPORT_IMPORT_MAX_ENTRIES/);
    await (await openFile(file, small({ maxEntries: 5 }))).close();
  });

  test('refuses more uncompressed bytes in all than allowed, naming the setting', async () => {
    const file = zip([1, 2, 3].map((n) => ({ name: `top/${n}.txt`, text: 'x'.repeat(400) })));
    await assertRefused(openFile(file, small({ maxTotalBytes: 1000 })), /1200 bytes uncompressed, more than the 1000 bytes .*ELNPORT_IMPORT_MAX_TOTAL_MB/);
    await (await openFile(file, small({ maxTotalBytes: 1200 }))).close();
  });

  test('refuses one file over the file limit, naming it and the setting', async () => {
    const file = zip([{ name: 'top/big.bin', zeros: 2000 }, { name: 'top/small.txt', text: 'x' }]);
    await assertRefused(openFile(file, small({ maxEntryBytes: 1999 })), /"top\/big\.bin" is 2000 bytes, more than the 1999 bytes .*ELNPORT_MAX_UPLOAD_MB/);
  });

  test('refuses a file that packs far better than real data (10 MB of zeros), by default', async () => {
    const file = zip([{ name: 'top/zeros.bin', zeros: 10 * 1024 * 1024 }]);
    await assertRefused(openFile(file), /"top\/zeros\.bin" would expand from .* to 10\.0 MB, \d+ times .*more than the 200 times .*ELNPORT_IMPORT_MAX_RATIO/);
  });

  test('lets a small file pack as well as it likes', async () => {
    const archive = await openFile(zip([{ name: 'top/zeros.bin', zeros: 512 * 1024 }]));
    try {
      assert.equal((await bytesOf(await archive.open('zeros.bin'))).length, 512 * 1024);
    } finally {
      await archive.close();
    }
  });
});

describe('headers that lie about sizes', () => {
  test('a deflated bomb that declares 1000 bytes fails while read, having given no more than 1000', async () => {
    const bomb = declareSizes(zip([{ name: 'top/bomb.bin', zeros: 10 * 1024 * 1024 }]), { uncompressed: 1000 });
    assert.equal(pythonListing(bomb, false)[0]!.size, 1000);
    const archive = await openFile(bomb);
    try {
      assert.deepEqual(archive.entries, [{ path: 'bomb.bin', size: 1000 }]);
      const stream = await archive.open('bomb.bin');
      let delivered = 0;
      await assertRefused(
        (async () => {
          for await (const chunk of stream) delivered += (chunk as Buffer).length;
        })(),
        /"bomb\.bin" does not hold what its header declares/,
      );
      assert.ok(delivered <= 1000, `delivered ${delivered} bytes`);
      await assertRefused(archive.readText('bomb.bin', 5000), /"bomb\.bin" does not hold what its header declares/);
    } finally {
      await archive.close();
    }
  });

  test('a stored entry that declares fewer bytes than it has fails its checksum', async () => {
    const file = declareSizes(zip([{ name: 'top/data.txt', text: 'x'.repeat(5000), method: 'stored' }]), { compressed: 100, uncompressed: 100 });
    const archive = await openFile(file);
    try {
      await assertRefused(bytesOf(await archive.open('data.txt')), /"data\.txt" is damaged: its bytes do not match its checksum/);
    } finally {
      await archive.close();
    }
  });
});

describe('ZIP64', () => {
  test('reads sizes from the ZIP64 extra field (zip -fz)', async () => {
    const dir = tempDir('elnport-zip64-');
    fs.mkdirSync(path.join(dir, 'top'));
    fs.writeFileSync(path.join(dir, 'top', 'a.txt'), 'hello zip64\n');
    execFileSync('zip', ['-q', '-fz', '-r', 'z.zip', 'top'], { cwd: dir });
    const archive = await openFile(path.join(dir, 'z.zip'));
    try {
      assert.deepEqual(archive.entries, [{ path: 'a.txt', size: 12 }]);
      assert.equal(await archive.readText('a.txt', 100), 'hello zip64\n');
    } finally {
      await archive.close();
    }
  });

  test('lists 70,000 entries (a ZIP64 end record) in few reads of the upload', async () => {
    const file = path.join(work, 'many.zip');
    execFileSync('python3', ['-c', `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for n in range(70000): z.writestr('top/d%d/%d.txt' % (n // 1000, n), str(n))
`, file]);
    const input = await inputOf(file);
    let reads = 0;
    const counted: RandomAccessInput = { size: input.size, read: (start, end) => ((reads += 1), input.read(start, end)) };
    const started = performance.now();
    const archive = await openArchive(counted, defaultImportLimits);
    const listedMs = performance.now() - started;
    try {
      assert.equal(archive.entries.length, 70_000);
      assert.ok(listedMs < 5000, `listing took ${Math.round(listedMs)} ms`);
      assert.equal(archive.top, 'top');
      assert.ok(reads < 100, `${reads} reads to list the archive`);
      assert.equal(await archive.readText('d69/69999.txt', 10), '69999');
    } finally {
      await archive.close();
    }
  });
});

describe('real archives', () => {
  const fixtures = ['rspace', 'eln'].flatMap((kind) => {
    const dir = path.resolve('../shared/fixtures', kind);
    return fs.readdirSync(dir).filter((f) => /\.(zip|eln)$/.test(f)).map((f) => path.join(dir, f));
  });
  assert.ok(fixtures.length >= 19, `only ${fixtures.length} fixtures`);

  for (const fixture of fixtures) {
    test(`${path.basename(fixture)}: the files Python's zipfile finds, with the same bytes`, async () => {
      // Python's names, with the same clutter dropped and the same normalisation.
      const expected = pythonListing(fixture)
        .filter((e) => !e.dir)
        .map((e) => ({ ...e, name: e.name.normalize('NFC').split('/').filter((s) => s !== '' && s !== '.').join('/') }))
        .filter((e) => !e.name.startsWith('__MACOSX/') && !e.name.split('/').includes('.DS_Store'));
      const archive = await openFile(fixture);
      try {
        const full = (p: string) => (archive.top ? `${archive.top}/${p}` : p);
        assert.deepEqual(
          archive.entries.map((e) => [full(e.path), e.size]).sort(),
          expected.map((e) => [e.name, e.size]).sort(),
        );
        for (const entry of archive.entries) {
          const sha256 = createHash('sha256').update(await bytesOf(await archive.open(entry.path))).digest('hex');
          assert.equal(sha256, expected.find((e) => e.name === full(entry.path))!.sha256, entry.path);
        }
      } finally {
        await archive.close();
      }
    });
  }

  test('ArchiveWithComment.zip has its one top folder; RSpace\'s oldest layout has none', async () => {
    const withComment = await openFile(path.resolve('../shared/fixtures/rspace/ArchiveWithComment.zip'));
    const oldest = await openFile(path.resolve('../shared/fixtures/rspace/RSpaceArchive1478c129bc4.zip'));
    try {
      assert.equal(withComment.top, 'RSpaceArchive-2017-01-30-02-38-23-gVp');
      assert.ok(withComment.entries.some((e) => e.path === 'folderTree.xml'));
      assert.equal(oldest.top, '');
    } finally {
      await withComment.close();
      await oldest.close();
    }
  });

  test('eLabFTW\'s "folder//file" names are found by the "./folder/file" its metadata gives', async () => {
    const archive = await openFile(path.resolve('../shared/fixtures/eln/elabftw__export.eln'));
    try {
      const stream = await archive.open('./Demo - Gold-master-experiment - 4af4da4e/example.jpg');
      assert.equal((await bytesOf(stream)).length, 85530);
    } finally {
      await archive.close();
    }
  });
});

describe('storage that fails', () => {
  /** The blob store's input, once told to failing every read of at least so many bytes, as a store that lost its disk or its network would. */
  async function failingInput(file: string): Promise<{ input: RandomAccessInput; fail(fromBytes: number): void }> {
    const input = await inputOf(file);
    let failFrom = Infinity;
    return {
      fail: (fromBytes) => (failFrom = fromBytes),
      input: {
        size: input.size,
        read: async (start, end) => {
          if (end - start + 1 < failFrom) return input.read(start, end);
          const stream = await input.read(start, end);
          stream.destroy(Object.assign(new Error('connection reset'), { code: 'ECONNRESET' }));
          return stream;
        },
      },
    };
  }

  test('is the server\'s failure, not a refused archive: listing', async () => {
    const { input, fail } = await failingInput(zip([{ name: 'top/a.txt', text: 'a' }]));
    fail(0);
    await assert.rejects(openArchive(input, defaultImportLimits), (error: unknown) => error instanceof InputFailure && /connection reset/.test(error.message));
  });

  test('is the server\'s failure, not a refused archive: reading an entry\'s header or its bytes', async () => {
    const { input, fail } = await failingInput(zip([{ name: 'top/a.bin', zeros: 300_000, method: 'stored' }, { name: 'top/b.txt', text: 'b' }]));
    const archive = await openArchive(input, defaultImportLimits);
    try {
      // The local header is read through the 64 KiB window, the bytes as one range of 300,000.
      fail(100_000);
      await assert.rejects(async () => bytesOf(await archive.open('a.bin')), (error: unknown) => error instanceof InputFailure);
      // b.txt's header lies past a.bin's bytes, outside the window the last read left.
      fail(0);
      await assert.rejects(archive.open('b.txt'), (error: unknown) => error instanceof InputFailure);
    } finally {
      await archive.close();
    }
  });
});

describe('close', () => {
  const openFds = () => fs.readdirSync('/proc/self/fd').length;

  test('ends the streams still open and leaves no file open', async () => {
    const file = zip([{ name: 'top/a.bin', zeros: 300_000, method: 'stored' }, { name: 'top/b.txt', zeros: 200_000 }]);
    const before = openFds();
    const archive = await openFile(file);
    const streams = [await archive.open('a.bin'), await archive.open('b.txt'), await archive.open('a.bin')];
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(openFds() > before, 'the streams hold the blob open');
    await archive.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(streams.every((s) => s.destroyed));
    assert.equal(openFds(), before);
    await assert.rejects(archive.open('b.txt'), /closed/);
  });
});

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { expectError, forEachDatabase, sysadminKey, useLab, type Account, type Answer, type Lab, isoDate } from './support/lab.js';

type Part = { name: string; value: string } | { name: string; fileName: string; type?: string; bytes: Buffer };

interface Download {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: the text is the body
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** POST /files with a FormData body built by fetch itself, parts in the order given. */
async function upload(lab: Lab, key: string | null, parts: Part[]): Promise<Answer> {
  const form = new FormData();
  for (const part of parts) {
    if ('value' in part) form.append(part.name, part.value);
    else form.append(part.name, new Blob([new Uint8Array(part.bytes)], { type: part.type ?? '' }), part.fileName);
  }
  const headers: Record<string, string> = key === null ? {} : { apiKey: key };
  return answerOf(await fetch(`${lab.url}/api/v1/files`, { method: 'POST', headers, body: form }));
}

/** A multipart body written byte by byte, for what FormData will not produce. */
function multipartBody(parts: Part[]): { body: Buffer; contentType: string } {
  const boundary = `----elnport${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('value' in part) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`));
    } else {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.fileName}"\r\n` +
            `Content-Type: ${part.type ?? 'application/octet-stream'}\r\n\r\n`,
        ),
        part.bytes,
        Buffer.from('\r\n'),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function post(lab: Lab, key: string, body: Buffer | string, contentType: string): Promise<Answer> {
  const payload = typeof body === 'string' ? body : new Uint8Array(body);
  return answerOf(await fetch(`${lab.url}/api/v1/files`, { method: 'POST', headers: { apiKey: key, 'content-type': contentType }, body: payload }));
}

async function download(lab: Lab, key: string, id: number | string, headers: Record<string, string> = {}, method = 'GET'): Promise<Download> {
  const response = await fetch(`${lab.url}/api/v1/files/${id}/file`, { method, headers: { apiKey: key, ...headers } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

function asAnswer(d: Download): Answer {
  const text = d.bytes.toString('utf8');
  return { status: d.status, headers: d.headers, body: JSON.parse(text), text };
}

/** Every blob the lab's store holds, wherever it sits (on the local store, uploads under way in blobs/tmp too). */
async function blobFiles(lab: Lab): Promise<string[]> {
  return (await lab.stored()).blobs;
}

async function mediaRows(lab: Lab): Promise<number> {
  const row = await lab.server.store.db.selectFrom('media').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function galleryFolderId(lab: Lab, userId: number): Promise<number> {
  const row = await lab.server.store.db.selectFrom('users').select('gallery_folder_id').where('id', '=', userId).executeTakeFirstOrThrow();
  assert.ok(row.gallery_folder_id, 'the user has a gallery folder');
  return row.gallery_folder_id;
}

/** Runs `action` and asserts that it left neither a media row nor a blob behind. */
async function leavesNothing(lab: Lab, action: () => Promise<void>): Promise<void> {
  const blobsBefore = await blobFiles(lab);
  const rowsBefore = await mediaRows(lab);
  await action();
  assert.deepEqual(await blobFiles(lab), blobsBefore, 'no blob left behind');
  assert.equal(await mediaRows(lab), rowsBefore, 'no media row recorded');
}

const text = (s: string) => Buffer.from(s, 'utf8');

forEachDatabase((kind) => {
  describe('gallery files', () => {
    const lab = useLab(kind);
    let alice: Account;
    let bob: Account;
    let pia: Account;

    before(async () => {
      alice = await lab().createUser('alice');
      bob = await lab().createUser('bob');
      pia = await lab().createUser('pia', 'ROLE_PI');
      await lab().createGroup('Pia Lab', [
        { username: 'pia', roleInGroup: 'PI' },
        { username: 'alice', roleInGroup: 'DEFAULT' },
      ]);
    });

    describe('upload', () => {
      it('answers 201 with the File shape, in the gallery folder by default', async () => {
        const bytes = text('hello, gallery\n');
        const r = await upload(lab(), alice.key, [{ name: 'file', fileName: 'notes.txt', type: 'text/plain', bytes }]);
        assert.equal(r.status, 201, r.text);
        assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
        const f = r.body;
        assert.deepEqual(Object.keys(f).sort(), [
          '_links', 'caption', 'contentType', 'created', 'globalId', 'id', 'name', 'parentFolderId', 'sha256', 'size', 'version',
        ]);
        assert.ok(Number.isInteger(f.id) && f.id > 0);
        assert.equal(f.globalId, `GL${f.id}`);
        assert.equal(f.name, 'notes.txt');
        assert.equal(f.caption, '');
        assert.equal(f.contentType, 'text/plain');
        assert.match(f.created, isoDate);
        assert.ok(Math.abs(Date.parse(f.created) - Date.now()) < 60_000, 'created is now');
        assert.equal(f.size, bytes.length);
        assert.equal(f.sha256, sha256(bytes));
        assert.equal(f.version, 1);
        assert.equal(f.parentFolderId, await galleryFolderId(lab(), alice.id));
        assert.equal((await lab().call('GET', `/folders/${f.parentFolderId}`, { key: alice.key })).body.name, 'Gallery');
        assert.deepEqual(f._links, [
          { link: `${lab().url}/api/v1/files/${f.id}`, rel: 'self' },
          { link: `${lab().url}/api/v1/files/${f.id}/file`, rel: 'enclosure' },
        ]);

        const again = await lab().call('GET', `/files/${f.id}`, { key: alice.key });
        assert.equal(again.status, 200);
        assert.deepEqual(again.body, f);
      });

      it('honours folderId and caption sent before the file', async () => {
        const folder = await lab().call('POST', '/folders', { key: alice.key, body: { name: 'Images', parentFolderId: alice.homeFolderId } });
        assert.equal(folder.status, 201, folder.text);
        const r = await upload(lab(), alice.key, [
          { name: 'folderId', value: String(folder.body.id) },
          { name: 'caption', value: 'Gel, lane 3 — 5 µg' },
          { name: 'file', fileName: 'gel.png', type: 'image/png', bytes: randomBytes(500) },
        ]);
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.parentFolderId, folder.body.id);
        assert.equal(r.body.caption, 'Gel, lane 3 — 5 µg');
        assert.equal(r.body.contentType, 'image/png');
      });

      it('honours folderId and caption sent after the file', async () => {
        const folder = await lab().call('POST', '/folders', { key: alice.key, body: { name: 'Spectra' } });
        assert.equal(folder.status, 201, folder.text);
        const bytes = randomBytes(2000);
        const { body, contentType } = multipartBody([
          { name: 'file', fileName: 'spectrum.bin', bytes },
          { name: 'caption', value: 'after the file' },
          { name: 'folderId', value: String(folder.body.id) },
        ]);
        const r = await post(lab(), alice.key, body, contentType);
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.parentFolderId, folder.body.id);
        assert.equal(r.body.caption, 'after the file');
        assert.equal(r.body.size, 2000);
        assert.equal(r.body.sha256, sha256(bytes));
        assert.equal(r.body.contentType, 'application/octet-stream');
      });

      it('stores a file name given with a path by its base name only', async () => {
        for (const [sent, stored] of [
          ['../../etc/passwd', 'passwd'],
          ['C:\\x\\y.txt', 'y.txt'],
          ['/abs/olute/z.csv', 'z.csv'],
        ]) {
          const { body, contentType } = multipartBody([{ name: 'file', fileName: sent!, bytes: text(sent!) }]);
          const r = await post(lab(), alice.key, body, contentType);
          assert.equal(r.status, 201, r.text);
          assert.equal(r.body.name, stored, sent);
          const d = await download(lab(), alice.key, r.body.id);
          assert.equal(d.bytes.toString(), sent);
          assert.match(d.headers.get('content-disposition') ?? '', new RegExp(`filename="${stored!.replace('.', '\\.')}"`));
        }
      });

      it('stores a claimed content type that is not a media type as application/octet-stream', async () => {
        for (const type of ['text/pl\u0001ain', 'image/png\u0000', 'junk', '/x']) {
          const { body, contentType } = multipartBody([{ name: 'file', fileName: 'odd.bin', type, bytes: text('odd') }]);
          const r = await post(lab(), alice.key, body, contentType);
          assert.equal(r.status, 201, r.text);
          assert.equal(r.body.contentType, 'application/octet-stream', JSON.stringify(type));
          const d = await download(lab(), alice.key, r.body.id);
          assert.equal(d.status, 200);
          assert.equal(d.headers.get('content-type'), 'application/octet-stream');
          assert.equal(d.bytes.toString(), 'odd');
        }
      });

      it('drops control characters other than layout from a caption', async () => {
        const r = await upload(lab(), alice.key, [
          { name: 'caption', value: 'a\u0000b\u0007c\td\u007f' },
          { name: 'file', fileName: 'c.txt', bytes: text('c') },
        ]);
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.caption, 'abc\td');
        assert.equal((await lab().call('GET', `/files/${r.body.id}`, { key: alice.key })).body.caption, 'abc\td');
      });

      it('accepts an empty file', async () => {
        const r = await upload(lab(), alice.key, [{ name: 'file', fileName: 'empty.dat', bytes: Buffer.alloc(0) }]);
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.size, 0);
        assert.equal(r.body.sha256, sha256(Buffer.alloc(0)));
        const d = await download(lab(), alice.key, r.body.id);
        assert.equal(d.status, 200);
        assert.equal(d.bytes.length, 0);
        assert.equal(d.headers.get('content-length'), '0');
      });
    });

    describe('download', () => {
      let big: Buffer;
      let id: number;

      before(async () => {
        big = randomBytes(3 * 1024 * 1024 + 17);
        const r = await upload(lab(), alice.key, [{ name: 'file', fileName: 'raw data.bin', type: 'application/x-raw', bytes: big }]);
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.sha256, sha256(big));
        assert.equal(r.body.size, big.length);
        id = r.body.id;
      });

      it('gives back the very bytes uploaded, with their length, type and name', async () => {
        const d = await download(lab(), alice.key, id);
        assert.equal(d.status, 200);
        assert.equal(d.bytes.length, big.length);
        assert.equal(sha256(d.bytes), sha256(big));
        const meta = await lab().call('GET', `/files/${id}`, { key: alice.key });
        assert.equal(sha256(d.bytes), meta.body.sha256);
        assert.equal(d.headers.get('content-length'), String(big.length));
        assert.equal(d.headers.get('content-type'), 'application/x-raw');
        assert.equal(d.headers.get('content-disposition'), `attachment; filename="raw data.bin"; filename*=UTF-8''raw%20data.bin`);
        assert.equal(d.headers.get('accept-ranges'), 'bytes');
        assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
      });

      it('serves an uploaded HTML file as an attachment the browser will not sniff', async () => {
        const html = text('<script>alert(1)</script>');
        const r = await upload(lab(), alice.key, [{ name: 'file', fileName: 'page.html', type: 'text/html', bytes: html }]);
        const d = await download(lab(), alice.key, r.body.id);
        assert.equal(d.headers.get('content-type'), 'text/html');
        assert.match(d.headers.get('content-disposition') ?? '', /^attachment;/);
        assert.equal(d.headers.get('x-content-type-options'), 'nosniff');
        assert.deepEqual(d.bytes, html);
      });

      it('names a file with any characters in Content-Disposition, ASCII in filename= and exact in filename*=', async () => {
        const name = `résumé; 日本 (1)'*.txt`;
        const r = await upload(lab(), alice.key, [{ name: 'file', fileName: name, type: 'text/plain', bytes: text('x') }]);
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.name, name);
        const d = await download(lab(), alice.key, r.body.id);
        assert.equal(d.status, 200);
        const disposition = d.headers.get('content-disposition') ?? '';
        assert.equal(/filename="([^"]*)"/.exec(disposition)?.[1], "r_sum_; __ (1)'*.txt");
        const star = /filename\*=UTF-8''(\S+)$/.exec(disposition)?.[1];
        assert.ok(star && /^[A-Za-z0-9!#$&+\-.^_`|~%]+$/.test(star), `filename* uses only attr-char: ${star}`);
        assert.equal(decodeURIComponent(star), name);
      });

      it('keeps a double quote in a file name out of the quoted filename=', async () => {
        const { body, contentType } = multipartBody([{ name: 'file', fileName: 'say \\"hi\\".txt', bytes: text('hi') }]);
        const r = await post(lab(), alice.key, body, contentType);
        assert.equal(r.status, 201, r.text);
        assert.equal(r.body.name, 'say "hi".txt');
        const d = await download(lab(), alice.key, r.body.id);
        assert.equal(d.headers.get('content-disposition'), `attachment; filename="say _hi_.txt"; filename*=UTF-8''say%20%22hi%22.txt`);
      });

      it('answers a single Range with 206 and just those bytes', async () => {
        const d = await download(lab(), alice.key, id, { range: 'bytes=1000-1999' });
        assert.equal(d.status, 206);
        assert.equal(d.headers.get('content-range'), `bytes 1000-1999/${big.length}`);
        assert.equal(d.headers.get('content-length'), '1000');
        assert.equal(d.headers.get('accept-ranges'), 'bytes');
        assert.equal(d.headers.get('content-type'), 'application/x-raw');
        assert.deepEqual(d.bytes, big.subarray(1000, 2000));
      });

      it('resumes from an offset to the end, and serves a suffix', async () => {
        const from = big.length - 123_456;
        const rest = await download(lab(), alice.key, id, { range: `bytes=${from}-` });
        assert.equal(rest.status, 206);
        assert.equal(rest.headers.get('content-range'), `bytes ${from}-${big.length - 1}/${big.length}`);
        assert.equal(rest.headers.get('content-length'), '123456');
        assert.deepEqual(rest.bytes, big.subarray(from));

        const tail = await download(lab(), alice.key, id, { range: 'bytes=-10' });
        assert.equal(tail.status, 206);
        assert.equal(tail.headers.get('content-range'), `bytes ${big.length - 10}-${big.length - 1}/${big.length}`);
        assert.deepEqual(tail.bytes, big.subarray(big.length - 10));

        const last = await download(lab(), alice.key, id, { range: `bytes=${big.length - 1}-${big.length + 1000}` });
        assert.equal(last.status, 206);
        assert.deepEqual(last.bytes, big.subarray(big.length - 1));
      });

      it('tags the bytes with their hash, and serves a range only for that tag in If-Range', async () => {
        const etag = `"${sha256(big)}"`;
        assert.equal((await download(lab(), alice.key, id)).headers.get('etag'), etag);
        const same = await download(lab(), alice.key, id, { range: 'bytes=0-99', 'if-range': etag });
        assert.equal(same.status, 206);
        assert.equal(same.headers.get('etag'), etag);
        assert.deepEqual(same.bytes, big.subarray(0, 100));
        for (const ifRange of ['"0000"', `W/${etag}`, new Date().toUTCString()]) {
          const other = await download(lab(), alice.key, id, { range: 'bytes=0-99', 'if-range': ifRange });
          assert.equal(other.status, 200, ifRange);
          assert.equal(other.headers.get('content-range'), null);
          assert.equal(sha256(other.bytes), sha256(big));
        }
      });

      it('answers a range past the end with 416, the size, and the error shape', async () => {
        const d = await download(lab(), alice.key, id, { range: `bytes=${big.length}-` });
        const body = expectError(asAnswer(d), 416, 41601);
        assert.equal(body.status, 'REQUESTED_RANGE_NOT_SATISFIABLE');
        assert.equal(d.headers.get('content-range'), `bytes */${big.length}`);
        assert.match(d.headers.get('content-type') ?? '', /^application\/json/);
      });

      it('sends the whole file for a Range it does not serve', async () => {
        for (const range of ['bytes=0-1,5-6', 'items=0-9', 'bytes=9-0', 'nonsense']) {
          const d = await download(lab(), alice.key, id, { range });
          assert.equal(d.status, 200, range);
          assert.equal(d.headers.get('content-range'), null);
          assert.equal(d.bytes.length, big.length);
        }
      });

      it('answers HEAD with the headers of the whole file and no body', async () => {
        const d = await download(lab(), alice.key, id, { range: 'bytes=0-9' }, 'HEAD');
        assert.equal(d.status, 200);
        assert.equal(d.headers.get('content-length'), String(big.length));
        assert.equal(d.headers.get('accept-ranges'), 'bytes');
        assert.equal(d.bytes.length, 0);
      });
    });

    describe('refusals', () => {
      let fileId: number;

      before(async () => {
        const r = await upload(lab(), alice.key, [{ name: 'file', fileName: 'private.txt', type: 'text/plain', bytes: text('alice only') }]);
        assert.equal(r.status, 201, r.text);
        fileId = r.body.id;
      });

      it('refuses an upload without a key with 401/40101, storing nothing', async () => {
        await leavesNothing(lab(), async () => {
          expectError(await upload(lab(), null, [{ name: 'file', fileName: 'a.txt', bytes: text('a') }]), 401, 40101);
        });
      });

      it('refuses downloads without a key with 401/40101', async () => {
        expectError(await lab().call('GET', `/files/${fileId}`, { key: null }), 401, 40101);
        const r = await fetch(`${lab().url}/api/v1/files/${fileId}/file`);
        expectError(await answerOf(r), 401, 40101);
      });

      it("answers a stranger's request for a file exactly as for one that does not exist", async () => {
        const meta = await lab().call('GET', `/files/${fileId}`, { key: bob.key });
        const body = expectError(meta, 404, 40402);
        assert.equal(body.message, `No file with id ${fileId}`);
        assert.doesNotMatch(meta.text, /private|alice/);
        const bytes = await download(lab(), bob.key, fileId);
        expectError(asAnswer(bytes), 404, 40402);
        assert.doesNotMatch(bytes.bytes.toString(), /private|alice only/);

        const missing = expectError(await lab().call('GET', '/files/999999', { key: bob.key }), 404, 40402);
        assert.equal(missing.message, 'No file with id 999999');
        expectError(asAnswer(await download(lab(), bob.key, 999999)), 404, 40402);
      });

      it('lets the PI of the owner’s lab group, and a sysadmin, read the file', async () => {
        for (const key of [pia.key, sysadminKey]) {
          const meta = await lab().call('GET', `/files/${fileId}`, { key });
          assert.equal(meta.status, 200);
          assert.equal(meta.body.name, 'private.txt');
          const d = await download(lab(), key, fileId);
          assert.equal(d.status, 200);
          assert.equal(d.bytes.toString(), 'alice only');
        }
      });

      it('answers a folder or document id with 404, as a file that does not exist', async () => {
        const doc = await lab().call('POST', '/documents', { key: alice.key, body: { name: 'a doc' } });
        assert.equal(doc.status, 201, doc.text);
        for (const id of [alice.homeFolderId, doc.body.id]) {
          expectError(await lab().call('GET', `/files/${id}`, { key: alice.key }), 404, 40402);
          expectError(asAnswer(await download(lab(), alice.key, id)), 404, 40402);
        }
      });

      it('answers a non-numeric id with 400/40003', async () => {
        expectError(await lab().call('GET', '/files/abc', { key: alice.key }), 400, 40003);
        expectError(asAnswer(await download(lab(), alice.key, 'abc')), 400, 40003);
      });
    });

    describe('bad uploads store nothing', () => {
      it('answers a form without a file part with 400/40005', async () => {
        await leavesNothing(lab(), async () => {
          const r = await upload(lab(), alice.key, [{ name: 'caption', value: 'no file' }]);
          const body = expectError(r, 400, 40005);
          assert.match(body.message, /'file'/);
        });
      });

      it('answers a body that is not multipart in the error shape', async () => {
        await leavesNothing(lab(), async () => {
          expectError(await lab().call('POST', '/files', { key: alice.key, body: { file: 'aGVsbG8=' } }), 400, 40009);
          const plain = await post(lab(), alice.key, 'hello', 'text/plain');
          expectError(plain, 400, 40009);
          const octets = await post(lab(), alice.key, randomBytes(100), 'application/octet-stream');
          expectError(octets, 415, 41501);
        });
      });

      it('answers multipart without a boundary, or cut short, with 400/40009', async () => {
        await leavesNothing(lab(), async () => {
          expectError(await post(lab(), alice.key, 'whatever', 'multipart/form-data'), 400, 40009);
          const { body, contentType } = multipartBody([{ name: 'file', fileName: 'cut.bin', bytes: randomBytes(5000) }]);
          // Over and over, as the parser may break off the file before or after its blob is opened.
          for (let i = 0; i < 30; i++) {
            expectError(await post(lab(), alice.key, body.subarray(0, 300 + i * 100), contentType), 400, 40009);
          }
          const fieldOnly = multipartBody([{ name: 'caption', value: 'never closed' }]);
          expectError(await post(lab(), alice.key, fieldOnly.body.subarray(0, -20), fieldOnly.contentType), 400, 40009);
        });
      });

      it('refuses two files with 400', async () => {
        await leavesNothing(lab(), async () => {
          const r = await upload(lab(), alice.key, [
            { name: 'file', fileName: 'one.txt', bytes: text('one') },
            { name: 'file', fileName: 'two.txt', bytes: text('two') },
          ]);
          const body = expectError(r, 400, 40002);
          assert.match(body.message, /exactly one file/);
        });
        await leavesNothing(lab(), async () => {
          const r = await upload(lab(), alice.key, [
            { name: 'file', fileName: 'one.bin', bytes: randomBytes(200_000) },
            { name: 'other', fileName: 'two.bin', bytes: randomBytes(200_000) },
          ]);
          expectError(r, 400, 40002);
        });
      });

      it('refuses a file in a part not named "file" with 400/40002', async () => {
        await leavesNothing(lab(), async () => {
          const r = await upload(lab(), alice.key, [{ name: 'upload', fileName: 'x.txt', bytes: text('x') }]);
          expectError(r, 400, 40002);
        });
      });

      it('answers folderId=abc with 400/40003, before or after the file', async () => {
        await leavesNothing(lab(), async () => {
          const r = await upload(lab(), alice.key, [
            { name: 'folderId', value: 'abc' },
            { name: 'file', fileName: 'x.txt', bytes: text('x') },
          ]);
          const body = expectError(r, 400, 40003);
          assert.match(body.message, /folderId/);
          const { body: after, contentType } = multipartBody([
            { name: 'file', fileName: 'x.txt', bytes: randomBytes(100_000) },
            { name: 'folderId', value: '12abc' },
          ]);
          expectError(await post(lab(), alice.key, after, contentType), 400, 40003);
        });
      });

      it('answers a folderId too big to be an id with 400/40002', async () => {
        await leavesNothing(lab(), async () => {
          for (const folderId of ['2147483648', '99999999999999999999999']) {
            const r = await upload(lab(), alice.key, [
              { name: 'file', fileName: 'x.txt', bytes: text('x') },
              { name: 'folderId', value: folderId },
            ]);
            const body = expectError(r, 400, 40002);
            assert.equal(body.data.validationErrors[0].field, 'folderId');
          }
        });
      });

      it("answers another user's folder with 404 and leaves no blob", async () => {
        const bobsFolder = await lab().call('POST', '/folders', { key: bob.key, body: { name: 'Bob only' } });
        assert.equal(bobsFolder.status, 201);
        await leavesNothing(lab(), async () => {
          const r = await upload(lab(), alice.key, [
            { name: 'folderId', value: String(bobsFolder.body.id) },
            { name: 'file', fileName: 'x.bin', bytes: randomBytes(100_000) },
          ]);
          const body = expectError(r, 404, 40402);
          assert.doesNotMatch(body.message, /Bob only|bob/);
          expectError(
            await upload(lab(), alice.key, [
              { name: 'folderId', value: '999999' },
              { name: 'file', fileName: 'x.bin', bytes: randomBytes(100) },
            ]),
            404,
            40402,
          );
        });
      });

      it('answers a notebook as folderId with 422', async () => {
        const notebook = await lab().call('POST', '/folders', { key: alice.key, body: { name: 'Lab book', notebook: true } });
        assert.equal(notebook.status, 201, notebook.text);
        await leavesNothing(lab(), async () => {
          const r = await upload(lab(), alice.key, [
            { name: 'folderId', value: String(notebook.body.id) },
            { name: 'file', fileName: 'x.txt', bytes: text('x') },
          ]);
          expectError(r, 422, 42201);
        });
      });

      it('answers a caption over 2000 characters with 400/40002', async () => {
        await leavesNothing(lab(), async () => {
          const r = await upload(lab(), alice.key, [
            { name: 'file', fileName: 'x.txt', bytes: text('x') },
            { name: 'caption', value: 'c'.repeat(2001) },
          ]);
          expectError(r, 400, 40002);
        });
      });
    });
  });

  describe('gallery files over the upload limit', () => {
    const lab = useLab(kind, { ELNPORT_MAX_UPLOAD_MB: '1' });

    it('refuses a 2 MB file with 413/41301 and keeps nothing of it', async () => {
      const alice = await lab().createUser('alice');
      const r = await upload(lab(), alice.key, [{ name: 'file', fileName: 'big.bin', bytes: randomBytes(2 * 1024 * 1024) }]);
      const body = expectError(r, 413, 41301);
      assert.match(body.message, /1 MB/);
      assert.deepEqual(await blobFiles(lab()), []);
      assert.equal(await mediaRows(lab()), 0);
    });

    it('still takes a file just under the limit', async () => {
      const bob = await lab().createUser('bob');
      const bytes = randomBytes(1024 * 1024);
      const r = await upload(lab(), bob.key, [{ name: 'file', fileName: 'fits.bin', bytes }]);
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.size, bytes.length);
      assert.equal(r.body.sha256, sha256(bytes));
      assert.equal((await blobFiles(lab())).length, 1);
      assert.equal(await mediaRows(lab()), 1);
    });
  });
});

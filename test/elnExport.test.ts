import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { downloadArchive, entries, exportAndWait, extract, rspaceSchemas, unresolvedLinks, xmllint } from './support/archives.js';
import { assertValidEln } from './support/elnRules.js';
import { createCast, forEachDatabase, useLab, type Account, type Lab } from './support/lab.js';
import { upload, tinyPng as png } from './support/labWork.js';

/** A folder holding a notebook of two linked entries (one edited twice, so it has kept versions), with an image and a CSV. */
async function work(lab: Lab, alice: Account) {
  const image = await upload(lab, alice, 'gel #1.png', 'image/png', png, 'Gel after 2 h');
  const csv = await upload(lab, alice, 'od600.csv', 'text/csv', Buffer.from('t,od\n0,0.1\n'));
  const folder = await lab.call('POST', '/folders', { key: alice.key, body: { name: 'Project Aspirin' } });
  const notebook = await lab.call('POST', '/folders', { key: alice.key, body: { name: 'Lab book', notebook: true, parentFolderId: folder.body.id } });
  const first = await lab.call('POST', '/documents', {
    key: alice.key,
    body: { name: 'Day 1 & growth', tags: 'ecoli,od 600', parentFolderId: notebook.body.id, fields: [{ content: `<p>Data <fileId=${csv}> and <fileId=${image}></p>` }] },
  });
  const second = await lab.call('POST', '/documents', {
    key: alice.key,
    body: { name: 'Day 2', parentFolderId: notebook.body.id, fields: [{ content: `<p>After <docId=${first.body.id}></p>` }] },
  });
  await lab.call('PUT', `/documents/${second.body.id}`, { key: alice.key, body: { fields: [{ content: `<p>Revised, after <docId=${first.body.id}></p>` }] } });
  const loose = await lab.call('POST', '/documents', { key: alice.key, body: { name: 'Loose note', fields: [{ content: '<p>No folder</p>' }] } });
  return { image, csv, folder: folder.body.id as number, notebook: notebook.body.id as number, first: first.body.id as number, second: second.body.id as number, loose: loose.body.id as number };
}

interface Crate {
  top: string;
  root: string;
  graph: any[];
  byId: Map<string, any>;
}

function readCrate(file: string): Crate {
  const root = extract(file);
  const [top] = fs.readdirSync(root);
  const metadata = JSON.parse(fs.readFileSync(path.join(root, top!, 'ro-crate-metadata.json'), 'utf8'));
  const graph = metadata['@graph'] as any[];
  return { top: top!, root: path.join(root, top!), graph, byId: new Map(graph.map((e) => [e['@id'], e])) };
}

const parts = (entity: any): string[] => (entity.hasPart ?? []).map((p: any) => p['@id']);

forEachDatabase((kind) => {
  describe('.eln export', () => {
    const lab = useLab(kind);
    let alice: Account;
    let ids: Awaited<ReturnType<typeof work>>;
    let archive: string;
    let job: any;

    before(async () => {
      alice = await lab().createUser('alice');
      ids = await work(lab(), alice);
      job = await exportAndWait(lab(), alice.key, 'eln/user?includeRevisionHistory=true');
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job.result));
      archive = await downloadArchive(lab(), alice.key, job);
    });

    it("passes the consortium's rules and schema, unzip -t and Python's zipfile", async () => {
      await assertValidEln(archive);
    });

    it('is named .eln and served as application/vnd.eln+zip', async () => {
      assert.match(path.basename(archive), /^RSpace-\d{4}-\d\d-\d\d-\d\d-\d\d-eln-alice-[\w-]{14}\.eln$/);
      const enclosure = job._links.find((l: any) => l.rel === 'enclosure');
      const head = await fetch(enclosure.link, { method: 'HEAD', headers: { apiKey: alice.key } });
      assert.equal(head.headers.get('content-type'), 'application/vnd.eln+zip');
    });

    it('holds one root folder with the HTML archive, the XML archive and the RO-Crate metadata', () => {
      const names = entries(archive);
      const top = path.basename(archive, '.eln');
      assert.ok(names.every((n) => n === `${top}/` || n.startsWith(`${top}/`)), names.join('\n'));
      for (const expected of ['manifest.txt', 'index.html', 'ro-crate-preview.html', 'ro-crate-metadata.json', 'folderTree.xml', 'users.xml', 'documentSchema.xsd']) {
        assert.ok(names.includes(`${top}/${expected}`), expected);
      }
      for (const id of [ids.first, ids.second, ids.loose]) {
        const folder = names.find((n) => new RegExp(`/doc_[^/]*-${id}/$`).test(n) || new RegExp(`/doc_[^/]*-${id}/`).test(n))!.split('/')[1]!;
        for (const page of [`${folder}.html`, `${folder}.xml`, `${folder}_form.xml`]) assert.ok(names.includes(`${top}/${folder}/${page}`), page);
      }
      // The last entry: it describes every entry before it.
      assert.equal(names[names.length - 1], `${top}/ro-crate-metadata.json`);
    });

    it('has pages whose links all resolve, and XML that validates against our schema and RSpace\'s', () => {
      const root = extract(archive);
      assert.deepEqual(unresolvedLinks(root), []);
      const documents = fs.readdirSync(path.join(root, path.basename(archive, '.eln')), { recursive: true, encoding: 'utf8' })
        .filter((p) => /^doc_[^/]+\/doc_[^/]+\.xml$/.test(p) && !p.endsWith('_form.xml'))
        .map((p) => path.join(root, path.basename(archive, '.eln'), p));
      assert.ok(documents.length >= 3);
      const ours = path.join(root, path.basename(archive, '.eln'), 'documentSchema.xsd');
      const own = xmllint(ours, documents);
      assert.ok(own.ok, own.output);
      const theirs = xmllint(rspaceSchemas().documentSchema, documents);
      assert.ok(theirs.ok, theirs.output);
    });

    it('describes the root, the publisher, each folder and notebook in order, each document with its author, pages and files', async () => {
      const crate = readCrate(archive);
      const descriptor = crate.byId.get('ro-crate-metadata.json');
      assert.equal(descriptor.about['@id'], './');
      assert.equal(descriptor.version, '1.0');
      const publisher = crate.byId.get(descriptor.sdPublisher['@id']);
      assert.deepEqual([publisher['@type'], publisher.name, publisher.url], ['Organization', 'elnport', lab().url]);
      const root = crate.byId.get('./');
      assert.equal(root['@type'], 'Dataset');
      assert.match(root.datePublished, /^\d{4}-\d\d-\d\dT/);

      const folder = crate.byId.get(`#folder-${ids.folder}`);
      assert.equal(folder.name, 'Project Aspirin');
      assert.deepEqual(parts(folder), [`#notebook-${ids.notebook}`]);
      const notebook = crate.byId.get(`#notebook-${ids.notebook}`);
      assert.equal(notebook.additionalType, 'Notebook');
      const documentId = (id: number) => crate.graph.find((e) => e['@type'] === 'Dataset' && e.identifier === `SD${id}`)['@id'];
      // Entry order kept.
      assert.deepEqual(parts(notebook), [documentId(ids.first), documentId(ids.second)]);

      const first = crate.byId.get(documentId(ids.first));
      assert.equal(first.name, 'Day 1 & growth');
      assert.equal(first.keywords, 'ecoli,od 600');
      assert.equal(first.url, `${lab().url}/globalId/SD${ids.first}`);
      assert.match(first.text, /Data/);
      const author = crate.byId.get(first.author['@id']);
      const { first_name, last_name, email } = await lab().server.store.db.selectFrom('users').selectAll().where('username', '=', 'alice').executeTakeFirstOrThrow();
      assert.deepEqual([author['@type'], author.givenName, author.familyName, author.email], ['Person', first_name, last_name, email]);
      const files = parts(first).map((id) => crate.byId.get(id)).filter((e) => e.encodingFormat !== 'text/html' && e.encodingFormat !== 'application/xml');
      const image = files.find((f) => f.encodingFormat === 'image/png');
      assert.equal(image.description, 'Gel after 2 h');
      assert.equal(image.contentSize, String(png.length));
      assert.equal(image.sha256, createHash('sha256').update(png).digest('hex'));
      assert.equal(decodeURIComponent(image['@id']).endsWith('/gel #1.png'), true);

      const second = crate.byId.get(documentId(ids.second));
      assert.deepEqual(second.mentions.map((m: any) => m['@id']), [documentId(ids.first)]);
      const revisions = parts(second).filter((id) => /-rev\d+\/$/.test(id));
      assert.equal(revisions.length, 1);
      assert.match(crate.byId.get(revisions[0]!).name, /^Day 2 \(version \d+\)$/);
      // The loose note sits in the home folder, beside the project folder, and the home folder at the top.
      const home = crate.graph.find((e) => parts(e).includes(`#folder-${ids.folder}`));
      assert.deepEqual(parts(home), [`#folder-${ids.folder}`, documentId(ids.loose)]);
      assert.ok(parts(root).includes(home['@id']));
    });

    it("gives every File its bytes' size and sha256, and lists each hasPart target exactly once", () => {
      const crate = readCrate(archive);
      const counts = new Map<string, number>();
      for (const entity of crate.graph) counts.set(entity['@id'], (counts.get(entity['@id']) ?? 0) + 1);
      assert.deepEqual([...counts].filter(([, n]) => n > 1), []);
      for (const entity of crate.graph) for (const id of parts(entity)) assert.ok(crate.byId.has(id), `${entity['@id']} has part ${id}, which is not described`);
      const described = crate.graph.filter((e) => e['@type'] === 'File');
      assert.ok(described.length >= 9);
      for (const file of described) {
        const bytes = fs.readFileSync(path.join(crate.root, decodeURIComponent(file['@id'])));
        assert.equal(file.contentSize, String(bytes.length), file['@id']);
        assert.equal(file.sha256, createHash('sha256').update(bytes).digest('hex'), file['@id']);
        assert.equal(typeof file.name, 'string');
      }
    });
  });

  describe('.eln export of a selection and of a group', () => {
    const lab = useLab(kind);
    let alice: Account;
    let pi: Account;
    const tableBytes = Buffer.from('t,od\n0,0.1\n1,0.4\n');

    before(async () => {
      ({ alice, pi } = await createCast(lab()));
    });

    it('copies a file that was not selected into the document\'s folder, as a File of that document', async () => {
      const table = await upload(lab(), alice, 'od600 run.csv', 'text/csv', tableBytes, 'Run 1');
      const shown = await lab().call('POST', '/documents', { key: alice.key, body: { name: 'Shows a table', fields: [{ content: `<p>See <fileId=${table}></p>` }] } });
      assert.equal(shown.status, 201, shown.text);
      const job = await exportAndWait(lab(), alice.key, `eln/selection?selections=${shown.body.id}`);
      const archive = await downloadArchive(lab(), alice.key, job);
      await assertValidEln(archive);

      const crate = readCrate(archive);
      const dataset = crate.graph.find((e) => e['@type'] === 'Dataset' && e.identifier === `SD${shown.body.id}`);
      const folder = decodeURIComponent(dataset['@id']);
      const copy = crate.byId.get(`${dataset['@id']}od600%20run.csv`);
      assert.ok(copy, `a File beside the document, among ${crate.graph.map((e) => e['@id']).join(' ')}`);
      assert.ok(parts(dataset).includes(copy['@id']));
      assert.deepEqual(fs.readFileSync(path.join(crate.root, folder, 'od600 run.csv')), tableBytes);
      assert.deepEqual(
        [copy['@type'], copy.contentSize, copy.sha256, copy.encodingFormat, copy.description],
        ['File', String(tableBytes.length), createHash('sha256').update(tableBytes).digest('hex'), 'text/csv', 'Run 1'],
      );
      // Not selected, so no media_ folder of its own, and described once.
      assert.deepEqual(entries(archive).filter((n) => n.includes('/media_')), []);
      assert.equal(crate.graph.filter((e) => e['@type'] === 'File' && !/\.(html|xml)$/.test(e['@id'])).length, 1);
    });

    it("a PI's group export describes one Person for each owner, every document's author among them", async () => {
      const own = await lab().call('POST', '/documents', { key: pi.key, body: { name: 'Lab meeting notes', fields: [{ content: '<p>Agenda</p>' }] } });
      assert.equal(own.status, 201, own.text);
      const job = await exportAndWait(lab(), pi.key, 'eln/group');
      const archive = await downloadArchive(lab(), pi.key, job);
      await assertValidEln(archive);

      const crate = readCrate(archive);
      const people = crate.graph.filter((e) => e['@type'] === 'Person');
      assert.deepEqual(people.map((p) => p.identifier).sort(), ['alice', 'pat']);
      const documents = crate.graph.filter((e) => e['@type'] === 'Dataset' && /^SD\d+$/.test(e.identifier ?? ''));
      const owners = await lab().server.store.db
        .selectFrom('records')
        .innerJoin('users', 'users.id', 'records.owner_id')
        .select(['records.id', 'users.username'])
        .where('records.id', 'in', documents.map((d) => Number(d.identifier.slice(2))))
        .execute();
      assert.equal(owners.length, documents.length);
      const ownerOf = new Map(owners.map((o) => [`SD${o.id}`, o.username]));
      for (const document of documents) assert.equal(crate.byId.get(document.author['@id']).identifier, ownerOf.get(document.identifier), document.name);
      assert.deepEqual([...new Set(owners.map((o) => o.username))].sort(), ['alice', 'pat']);
    });
  });
});

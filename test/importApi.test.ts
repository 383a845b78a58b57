import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { crateGraph, downloadArchive, exportAndWait, importAndWait, startImport, waitForJob } from './support/archives.js';
import { createCast, expectError, forEachDatabase, sweepOnce, useLab, type Account } from './support/lab.js';
import { tempDir } from './support/tempDirs.js';

const fixtures = path.resolve('../shared/fixtures');
const elabftw = path.join(fixtures, 'eln/elabftw__export.eln');

async function recordsOf(lab: ReturnType<ReturnType<typeof useLab>>, who: Account): Promise<number> {
  const { n } = await lab.server.store.db.selectFrom('records').select((eb) => eb.fn.countAll<number>().as('n')).where('owner_id', '=', who.id).executeTakeFirstOrThrow();
  return Number(n);
}

forEachDatabase((kind) => {
  describe('the import job API', () => {
    // No worker takes a job: an import waits in STARTING for as long as a test needs.
    const lab = useLab(kind, { ELNPORT_WORKERS: '0' });
    let cast: Awaited<ReturnType<typeof createCast>>;

    before(async () => {
      cast = await createCast(lab());
    });

    it('answers 202 with Location and Retry-After, lists the import among the jobs, allows one unfinished import at a time apart from exports, and cancels one leaving nothing', async () => {
      const { alice } = cast;
      const records = await recordsOf(lab(), alice);
      const blobs = (await lab().stored()).blobs;
      const first = await startImport(lab(), alice.key, elabftw);
      assert.equal(first.status, 202, first.text);
      assert.equal(first.body.status, 'STARTING');
      assert.equal(first.headers.get('location'), `${lab().url}/api/v1/jobs/${first.body.id}`);
      assert.ok(Number(first.headers.get('retry-after')) >= 1);
      const listed = await lab().call('GET', '/jobs', { key: alice.key });
      assert.deepEqual(listed.body.jobs.map((j: any) => j.id), [first.body.id]);

      const second = expectError(await startImport(lab(), alice.key, elabftw), 429, 42901);
      assert.match(second.message, /running import job/);
      // An export is another kind: it may wait beside the import.
      assert.equal((await lab().call('POST', '/export/xml/user', { key: alice.key })).status, 202);

      assert.equal((await lab().call('DELETE', `/jobs/${first.body.id}`, { key: alice.key })).status, 204);
      assert.equal((await lab().call('GET', `/jobs/${first.body.id}`, { key: alice.key })).body.status, 'ABANDONED');
      await sweepOnce(lab());
      assert.equal(await recordsOf(lab(), alice), records);
      assert.deepEqual((await lab().stored()).blobs.filter((b) => !blobs.includes(b)), [], 'the upload is gone');
      // Cancelled, it holds up no other import.
      assert.equal((await startImport(lab(), alice.key, elabftw)).status, 202);
    });

    it('refuses a bad folderId, a notebook, a folder the caller may only read, and a body that is not one file', async () => {
      const { alice, bob, pi } = cast;
      expectError(await startImport(lab(), bob.key, elabftw, 'abc'), 400, 40003);
      const notebook = await lab().call('POST', '/folders', { key: bob.key, body: { name: 'Lab book', notebook: true } });
      assert.match(expectError(await startImport(lab(), bob.key, elabftw, notebook.body.id), 422, 42201).message, /not a notebook/);
      const folder = await lab().call('POST', '/folders', { key: alice.key, body: { name: 'Mine' } });
      // The PI reads alice's work, but may not write into it.
      expectError(await startImport(lab(), pi.key, elabftw, folder.body.id), 401, 40101);
      expectError(await startImport(lab(), bob.key, elabftw, folder.body.id), 404, 40402);
      expectError(await lab().call('POST', '/import', { key: bob.key, body: { file: 'x' } }), 400, 40009);
      const empty = new FormData();
      empty.append('folderId', '1');
      const r = await fetch(`${lab().url}/api/v1/import`, { method: 'POST', headers: { apiKey: bob.key }, body: empty });
      const text = await r.text();
      expectError({ status: r.status, headers: r.headers, body: JSON.parse(text), text }, 400, 40005);
    });
  });

  describe('what an import makes of links, forms, tags and authors', () => {
    const lab = useLab(kind);

    it('points links at the new documents, matches forms by name and fields, and keeps the authors for a later .eln', async () => {
      const alice = await lab().createUser('alice');
      const bob = await lab().createUser('bob');
      const experiment = (await lab().server.store.db.selectFrom('forms').select('id').where('name', '=', 'Experiment').executeTakeFirstOrThrow()).id;
      const first = await lab().call('POST', '/documents', { key: alice.key, body: { name: 'First', tags: 'a,b', form: { id: experiment }, fields: [{ content: '<p>Aim</p>' }] } });
      await lab().call('POST', '/documents', { key: alice.key, body: { name: 'Second', fields: [{ content: `<p>See <docId=${first.body.id}></p>` }] } });
      const archive = await downloadArchive(lab(), alice.key, await exportAndWait(lab(), alice.key, 'xml/user'));
      const job = await importAndWait(lab(), bob.key, archive);
      assert.equal(job.status, 'COMPLETED', JSON.stringify(job.result));
      const ids = job.result.ids as Record<string, number>;
      const newFirst = ids[`SD${first.body.id}`]!;
      assert.notEqual(newFirst, first.body.id);
      const seconds = (await lab().call('GET', '/documents?pageSize=100', { key: bob.key })).body.documents.filter((d: any) => d.name === 'Second');
      const second = await lab().call('GET', `/documents/${seconds[0].id}`, { key: bob.key });
      assert.match(second.body.fields[0].content, new RegExp(`data-doc-id="${newFirst}"`));
      assert.doesNotMatch(second.body.fields[0].content, new RegExp(`data-doc-id="${first.body.id}"`));
      // The same form, by name and fields, is the server's own, not a copy.
      const copy = await lab().call('GET', `/documents/${newFirst}`, { key: bob.key });
      assert.equal(copy.body.form.id, experiment);
      assert.equal(copy.body.tags, 'a,b');

      const again = await downloadArchive(lab(), bob.key, await exportAndWait(lab(), bob.key, `eln/selection?selections=${newFirst}`));
      const dataset = crateGraph(again).find((e) => e.identifier === `SD${newFirst}`);
      assert.ok(dataset.contributor.some((c: any) => c['@type'] === 'Person' && /alice/i.test(`${c.name} ${c.email ?? ''}`)), JSON.stringify(dataset.contributor));
      assert.equal(bob.username, crateGraph(again).find((e) => e['@id'] === dataset.author['@id']).identifier);
    });

    it('makes a form for fields no form of the server has, once, and keeps a comma inside a tag as a blank', async () => {
      const carol = await lab().createUser('carol');
      const first = await importAndWait(lab(), carol.key, path.join(fixtures, 'eln/SampleDB__sampledb_export.eln'));
      const formsOf = async (job: any) => {
        const documents = Object.values(job.result.ids as Record<string, number>);
        const rows = await lab().server.store.db.selectFrom('records').innerJoin('forms', 'forms.id', 'records.form_id').select(['forms.id', 'forms.name']).where('records.id', 'in', documents).where('records.kind', '=', 'DOCUMENT').execute();
        return new Map(rows.map((r) => [r.name, r.id]));
      };
      const made = await formsOf(first);
      assert.ok([...made.keys()].some((name) => name.startsWith('Imported: ')), [...made.keys()].join(', '));
      const second = await importAndWait(lab(), carol.key, path.join(fixtures, 'eln/SampleDB__sampledb_export.eln'));
      assert.deepEqual(await formsOf(second), made, 'the second import finds the forms the first made');

      const crate = path.join(tempDir('elnport-tags-'), 'tags.eln');
      const metadata = { '@context': 'https://w3id.org/ro/crate/1.2/context', '@graph': [
        { '@id': 'ro-crate-metadata.json', '@type': 'CreativeWork', about: { '@id': './' } },
        { '@id': './', '@type': 'Dataset', name: 'tags', hasPart: [{ '@id': './d/' }] },
        { '@id': './d/', '@type': 'Dataset', name: 'Tagged', keywords: ['pH 7,5', 'buffer'] },
      ] };
      execFileSync('python3', ['-c', 'import sys, zipfile\nzipfile.ZipFile(sys.argv[1], "w").writestr("tags/ro-crate-metadata.json", sys.argv[2])', crate, JSON.stringify(metadata)]);
      const tagged = await waitForJob(lab(), carol.key, (await startImport(lab(), carol.key, crate)).body.id);
      assert.equal(tagged.status, 'COMPLETED', JSON.stringify(tagged.result));
      const doc = await lab().call('GET', `/documents/${tagged.result.ids['./d/']}`, { key: carol.key });
      assert.equal(doc.body.tags, 'pH 7 5,buffer');
    });
  });
});

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { contentLimits } from '../../src/domain/contentLimits.js';

/**
 * A field of exactly the size limit, written the way the sanitiser writes (so it is stored as
 * given), with what costs most to read: dense markup, links and images to rewrite (one of
 * `fileId`, one of `documentId`), a remote image, tables, and nesting close to the limit.
 */
export function contentAtLimit(fileId: number, documentId: number): string {
  const block = [
    '<h2>Run 12</h2>',
    '<p>Incubated at <strong>37 °C</strong> for 2 h; OD<sub>600</sub> measured every 30 min &amp; logged. See <a href="https://protocols.example.org/p/12" title="protocol">the protocol</a>.</p>',
    '<table><tbody><tr><th>t</th><th>OD</th></tr><tr><td>0</td><td>0.05</td></tr></tbody></table>',
    '<ul><li>buffer A</li><li><em>buffer B</em> &lt; 5 mM</li></ul>',
    `<p><img src="https://images.example.org/plot.png" alt="plot" /> <img src="/api/v1/files/${fileId}/file" alt="gel" data-file-id="${fileId}" /> <a href="/globalId/SD${documentId}" data-doc-id="${documentId}">Day 1</a></p>`,
  ].join('');
  const deep = `${'<div>'.repeat(contentLimits.nestingDepth - 6)}deep${'</div>'.repeat(contentLimits.nestingDepth - 6)}`;
  const body = `${deep}${block.repeat(Math.floor((contentLimits.fieldBytes - Buffer.byteLength(deep) - 7) / Buffer.byteLength(block)))}`;
  return `${body}<p>${'x'.repeat(contentLimits.fieldBytes - Buffer.byteLength(body) - 7)}</p>`;
}

/**
 * A client in another process, ready to POST a JSON body, so that neither starting it nor
 * writing and reading 2 MiB of JSON counts in a measurement of the server's event loop in this
 * one. The returned function sends the request and resolves with the answer.
 */
export async function clientInAnotherProcess(url: string, apiKey: string, json: string): Promise<() => Promise<{ status: number; id: number | null }>> {
  const client = `
    let body = '';
    process.stdin.setEncoding('utf8').on('data', (chunk) => { body += chunk; }).on('end', () => process.send('ready'));
    process.once('message', async () => {
      const r = await fetch(process.argv[1], { method: 'POST', headers: { apiKey: process.argv[2], 'content-type': 'application/json' }, body });
      const answer = await r.json();
      process.send({ status: r.status, id: answer.id ?? null }, () => process.disconnect());
    });`;
  const env = { ...process.env, NODE_TEST_CONTEXT: undefined };
  const child = spawn(process.execPath, ['-e', client, url, apiKey], { env, stdio: ['pipe', 'inherit', 'inherit', 'ipc'] });
  child.stdin!.end(json);
  await once(child, 'message');
  return async () => {
    child.send('go');
    const [answer] = (await once(child, 'message')) as [{ status: number; id: number | null }];
    return answer;
  };
}

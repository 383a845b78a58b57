import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { parseAnswer, type RawAnswer } from './support/rawHttp.js';
import { forEachDatabase, sysadminKey, useLab } from './support/lab.js';

/*
 * The requests RSpace's Python client sends, replayed byte for byte over a socket.
 *
 * Followed: rspace-os/rspace-client-python, rspace_client/client_base.py (commit 4dc5d746) and
 * rspace_client/eln/eln.py (commits 0ba2fb5d and 02620378). Every call goes through
 * ClientBase.retrieve_api_results: headers {"apiKey": key, "Accept": "application/json"}, a GET via
 * requests.get, a POST via requests.request(..., json=params); _handle_response raises
 * AuthenticationError(response.json()["message"]) on 401, and otherwise returns response.json()
 * when the Content-Type holds application/json. get_status is GET /status.
 *
 * Those stored versions have no create_user or create_group method, so their bodies follow
 * the server's request types in rspace-os/rspace-web (SysadminApiController.UserApiPost, with
 * createGroupForPi, and GroupApiPost, whose members RSpace reads as `users` and whose type is
 * optional), sent the way retrieve_api_results sends every POST.
 *
 * On the wire that is what the requests library makes of it: its default headers (User-Agent,
 * Accept-Encoding, Accept, Connection) with the client's merged in (Accept replaced in place,
 * apiKey after), then Content-Length and Content-Type for a json= body, which json.dumps writes
 * with ", " and ": " separators and non-ASCII escaped.
 */

const userAgent = 'python-requests/2.31.0';

function pythonJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(', ')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${pythonJson(k)}: ${pythonJson(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function requestBytes(serverUrl: string, method: 'GET' | 'POST', path: string, apiKey: string, body?: unknown): Buffer {
  const { host } = new URL(serverUrl);
  const lines = [
    `${method} /api/v1${path} HTTP/1.1`,
    `Host: ${host}`,
    `User-Agent: ${userAgent}`,
    'Accept-Encoding: gzip, deflate',
    'Accept: application/json',
    'Connection: keep-alive',
    `apiKey: ${apiKey}`,
  ];
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(pythonJson(body), 'utf8');
  if (body !== undefined) lines.push(`Content-Length: ${payload.length}`, 'Content-Type: application/json');
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload]);
}

/** Sends `bytes` and reads one answer; the connection is kept alive, so the answer's length ends it. */
function replay(serverUrl: string, bytes: Buffer): Promise<RawAnswer> {
  const { hostname, port } = new URL(serverUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(received.subarray(0, end).toString('latin1'));
      if (!length || received.length < end + 4 + Number(length[1])) return;
      socket.destroy();
      resolve(parseAnswer(received.toString('latin1')));
    });
    socket.write(bytes);
  });
}

/** What _handle_response gives the caller: the parsed JSON, or the message of an AuthenticationError. */
function clientResult(answer: RawAnswer): { json?: any; authenticationError?: string } {
  if (answer.status === 401) return { authenticationError: answer.body.message };
  assert.ok(answer.status < 400, `the client would raise ApiError: ${answer.status} ${answer.text}`);
  assert.match(answer.headers.get('content-type') ?? '', /application\/json/);
  return { json: answer.body };
}

forEachDatabase((kind) => {
  describe("RSpace's Python client, replayed", () => {
    const lab = useLab(kind);
    const send = (method: 'GET' | 'POST', path: string, apiKey: string, body?: unknown) =>
      replay(lab().url, requestBytes(lab().url, method, path, apiKey, body));

    it('create_user with createGroupForPi makes a PI with their lab group', async () => {
      const answer = await send('POST', '/sysadmin/users', sysadminKey, {
        username: 'jmuller',
        password: 'secret_password',
        email: 'jmuller@example.org',
        firstName: 'Jo',
        lastName: 'Müller',
        role: 'ROLE_PI',
        affiliation: 'Uni',
        apiKey: 'jmuller_key_0123456789',
        createGroupForPi: true,
      });
      assert.equal(answer.status, 201, answer.text);
      const { json: user } = clientResult(answer);
      assert.equal(user.username, 'jmuller');
      assert.equal(user.lastName, 'Müller');
      assert.equal(user.hasPiRole, true);
      assert.ok(Number.isInteger(user.id));

      const { json: groups } = clientResult(await send('GET', '/groups', 'jmuller_key_0123456789'));
      assert.deepEqual(
        groups.map((g: any) => [g.name, g.type, g.members]),
        [["Jo Müller's group", 'LAB_GROUP', [{ id: user.id, username: 'jmuller', role: 'PI' }]]],
      );
    });

    it('create_user with createGroupForPi false makes a plain user', async () => {
      const { json: user } = clientResult(
        await send('POST', '/sysadmin/users', sysadminKey, {
          username: 'member1',
          password: 'secret_password',
          email: 'member1@example.org',
          firstName: 'Mem',
          lastName: 'Ber',
          role: 'ROLE_USER',
          createGroupForPi: false,
        }),
      );
      assert.equal(user.hasPiRole, false);
    });

    it('create_group without a type, its members as users, makes a lab group', async () => {
      const answer = await send('POST', '/sysadmin/groups', sysadminKey, {
        displayName: 'Replayed lab',
        users: [
          { username: 'jmuller', roleInGroup: 'PI' },
          { username: 'member1', roleInGroup: 'DEFAULT' },
        ],
      });
      assert.equal(answer.status, 201, answer.text);
      const { json: group } = clientResult(answer);
      assert.equal(group.name, 'Replayed lab');
      assert.equal(group.type, 'LAB_GROUP');
      assert.equal(group.globalId, `GP${group.id}`);
      assert.deepEqual(group.members.map((m: any) => [m.username, m.role]), [['jmuller', 'PI'], ['member1', 'DEFAULT']]);
    });

    it('get_status raises AuthenticationError for a wrong key and answers OK for a good one', async () => {
      assert.deepEqual(clientResult(await send('GET', '/status', 'wrong_key_wrong_key_0')), { authenticationError: 'Unknown API key' });
      const malformed = clientResult(await send('GET', '/status', 'short'));
      assert.match(malformed.authenticationError ?? '', /Malformed API key/);
      const { json } = clientResult(await send('GET', '/status', 'jmuller_key_0123456789'));
      assert.equal(json.message, 'OK');
      assert.equal(typeof json.rspaceVersion, 'string');
    });
  });
});

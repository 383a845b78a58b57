import { useEffect, useState } from 'preact/hooks';
import { getNotifications, listDeliveries, putNotifications, rotateSecret, type Delivery, type Notifications } from './api.js';
import { count, dateTime } from './format.js';

/** How the user is told when a job ends: a webhook, an e-mail, or both; and what was sent. */
export function Settings() {
  const [settings, setSettings] = useState<Notifications | null>(null);
  const [url, setUrl] = useState('');
  const [email, setEmail] = useState(false);
  const [deliveries, setDeliveries] = useState<Delivery[]>([]);
  const [error, setError] = useState('');
  const [said, setSaid] = useState('');

  const show = (given: Notifications) => {
    setSettings(given);
    setUrl(given.webhook?.url ?? '');
    setEmail(given.email.enabled);
  };

  useEffect(() => {
    getNotifications().then(show, (failure: Error) => setError(failure.message));
    listDeliveries().then(setDeliveries, () => undefined);
  }, []);

  const act = async (what: () => Promise<Notifications>, done: string) => {
    setError('');
    setSaid('');
    try {
      show(await what());
      setSaid(done);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  const save = (event: Event) => {
    event.preventDefault();
    void act(() => putNotifications({ webhook: url.trim() ? { url: url.trim() } : null, email: { enabled: email } }), 'Settings saved.');
  };

  return (
    <section aria-labelledby="settings">
      <h1 id="settings" tabIndex={-1}>Settings</h1>
      <p role="status" class="note">{said}</p>
      {error && <p role="alert" class="error">{error}</p>}
      {settings && (
        <>
          <form onSubmit={save}>
            <fieldset>
              <legend>When an export or import ends, tell me</legend>
              <p>
                <label for="webhook">By webhook: POST the job to this HTTPS address (empty for none)</label>
                <input id="webhook" type="url" placeholder="https://example.org/hooks/elnport" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
              </p>
              <p>
                <label class="inline">
                  <input
                    type="checkbox"
                    checked={email}
                    disabled={!settings.email.available}
                    aria-describedby={settings.email.available ? undefined : 'no-email'}
                    onChange={(e) => setEmail(e.currentTarget.checked)}
                  />{' '}
                  By e-mail to {settings.email.address}
                </label>
              </p>
              {!settings.email.available && (
                <p id="no-email" class="muted">
                  This server sends no e-mail (it has no SMTP server set up): ask its administrator, or use a webhook.
                </p>
              )}
            </fieldset>
            <button type="submit">Save</button>
          </form>
          <h2>Webhook secret</h2>
          <p>
            Each webhook carries <code>X-Elnport-Signature: sha256=…</code>, the HMAC-SHA256 of <code>timestamp.body</code> under this secret.
          </p>
          <p>
            <code class="hash" id="secret">{settings.webhookSecret}</code>{' '}
            <button type="button" aria-describedby="secret" onClick={() => act(rotateSecret, 'A new secret was made; the old one no longer signs.')}>
              Make a new secret
            </button>
          </p>
        </>
      )}
      <h2>Recent deliveries</h2>
      {deliveries.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Job</th>
                <th scope="col">How</th>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Answer</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr key={d.id}>
                  <td>{dateTime(d.createdAt)}</td>
                  <td>{d.jobId}</td>
                  <td>{d.channel === 'email' ? `e-mail to ${d.target}` : d.target}</td>
                  <td>{d.event}</td>
                  <td>{d.status} ({count(d.attempts, 'attempt')})</td>
                  <td>{d.error ?? (d.responseStatus === null ? '' : `HTTP ${d.responseStatus}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

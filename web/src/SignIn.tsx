import { useState } from 'preact/hooks';
import { signIn, type Credentials, type Session } from './api.js';

/** Username and password, or an API key for people who have one. */
export function SignIn({ message, onSignedIn }: { message: string; onSignedIn: (session: Session) => void }) {
  const [withKey, setWithKey] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const value = (name: string) => String(form.get(name) ?? '');
    const credentials: Credentials = withKey ? { apiKey: value('apiKey').trim() } : { username: value('username').trim(), password: value('password') };
    setBusy(true);
    setError('');
    try {
      onSignedIn(await signIn(credentials));
    } catch (failure) {
      setError((failure as Error).message);
      setBusy(false);
    }
  };

  return (
    <main class="narrow">
      <h1 tabIndex={-1}>Sign in to elnport</h1>
      <p>Export your lab notebook: start an export, follow it, download the archive.</p>
      {message && <p role="status" class="note">{message}</p>}
      <form onSubmit={submit}>
        <fieldset>
          <legend>Sign in with</legend>
          <label class="inline">
            <input type="radio" name="method" checked={!withKey} onChange={() => setWithKey(false)} /> username and password
          </label>
          <label class="inline">
            <input type="radio" name="method" checked={withKey} onChange={() => setWithKey(true)} /> an API key
          </label>
        </fieldset>
        {withKey ? (
          <p>
            <label for="apiKey">API key</label>
            <input id="apiKey" name="apiKey" type="password" autocomplete="off" required />
          </p>
        ) : (
          <>
            <p>
              <label for="username">Username</label>
              <input id="username" name="username" autocomplete="username" required />
            </p>
            <p>
              <label for="password">Password</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required />
            </p>
          </>
        )}
        {error && <p role="alert" class="error">{error}</p>}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

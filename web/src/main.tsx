import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentSession, onSignedOut, signOut, type Session } from './api.js';
import { MyExports } from './MyExports.js';
import { NewExport } from './NewExport.js';
import { Settings } from './Settings.js';
import { SignIn } from './SignIn.js';
import './style.css';

const views = { new: 'New export', exports: 'My exports', settings: 'Settings' } as const;
type View = keyof typeof views;

function viewOfHash(): View {
  const name = location.hash.replace(/^#\/?/, '');
  return name in views ? (name as View) : 'exports';
}

/** After a change of view, focus goes to its heading, so that keyboard and reader start there. */
function focusHeading(): void {
  document.querySelector<HTMLElement>('main h1')?.focus();
}

function App() {
  // undefined while the first GET /session is out
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [message, setMessage] = useState('');
  const [view, setView] = useState<View>(viewOfHash);

  useEffect(() => {
    onSignedOut((why) => {
      setSession(null);
      setMessage(why);
    });
    currentSession().then(setSession, (error: Error) => {
      setSession(null);
      setMessage(error.message);
    });
    const follow = () => setView(viewOfHash());
    addEventListener('hashchange', follow);
    return () => removeEventListener('hashchange', follow);
  }, []);

  // Not on the first view: a page just opened keeps the browser's own starting point.
  const shown = useRef(false);
  useEffect(() => {
    if (session === undefined) return;
    if (shown.current) focusHeading();
    shown.current = true;
  }, [view, session]);

  useEffect(() => {
    document.title = session ? `${views[view]}: elnport` : 'Sign in: elnport';
  }, [view, session]);

  if (session === undefined) return <main><p>Loading…</p></main>;
  if (session === null) {
    return (
      <SignIn
        message={message}
        onSignedIn={(s) => {
          setMessage('');
          setSession(s);
        }}
      />
    );
  }

  const leave = async () => {
    try {
      await signOut();
      setMessage('You have signed out.');
    } catch (error) {
      setMessage(`The server did not confirm the sign-out: ${(error as Error).message}`);
    }
    setSession(null);
  };

  return (
    <>
      <header class="bar">
        <p class="brand">elnport</p>
        <nav aria-label="Pages">
          <ul>
            {(Object.keys(views) as View[]).map((name) => (
              <li key={name}>
                <a href={`#${name}`} aria-current={view === name ? 'page' : undefined}>
                  {views[name]}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <p class="who">
          Signed in as <strong>{session.user.username}</strong>{' '}
          <button type="button" onClick={leave}>
            Sign out
          </button>
        </p>
      </header>
      <main>
        {view === 'new' && <NewExport session={session} onStarted={() => (location.hash = '#exports')} />}
        {view === 'exports' && <MyExports />}
        {view === 'settings' && <Settings />}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);

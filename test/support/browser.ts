import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Frame, type Request } from 'playwright-core';

/**
 * Archive pages opened in a real browser, as a reader would open them: from disk, with script
 * enabled, so anything that slipped through the sanitiser and the CSP would run and be seen.
 * The browser is Debian's `chromium` (.ci/run installs it); playwright-core never downloads one.
 */
function onPath(names: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not here: try the next directory
      }
    }
  }
  return undefined;
}

export const chromiumPath = onPath(['chromium', 'chromium-browser']);
export const chromiumSkip = chromiumPath
  ? false
  : 'no chromium on PATH: the archive pages cannot be opened in a browser (.ci/run installs Debian\'s chromium as root)';

/** What hostile markup calls when it manages to run: `__hostile('where')`. */
export const markerName = '__hostile';

export interface Visit {
  /** Relative to the archive's top. */
  page: string;
  title: string;
  /** Characters of visible text: a page that shows nothing proves nothing. */
  textLength: number;
  /** The XML viewer's or parser's complaint, when the page is not well-formed. */
  parseError: boolean;
  /** `__hostile(...)` calls, from any frame. */
  markers: string[];
  /** alert/confirm/prompt/beforeunload dialogs. */
  dialogs: string[];
  /** Request URLs that are neither data: nor a file inside the archive's folder, and that went out. */
  escapes: string[];
  /** Such requests that the page's CSP stopped before they went out: no leak, but a sign of one held back. */
  blocked: string[];
  /** Where the page ended up, if not where it was opened (meta refresh, script). */
  navigatedTo: string | null;
  /** Event-handler attributes and script URLs in the rendered DOM, of every frame: they would run on a click. */
  latent: string[];
}

function insideFolder(root: string, url: string): boolean {
  if (url.startsWith('data:')) return true;
  if (!url.startsWith('file:')) return false;
  const relative = path.relative(root, fileURLToPath(url));
  return !relative.startsWith('..') && !path.isAbsolute(relative);
}

/**
 * Runs in the page once it has settled: what it shows, and what would run on a click or a
 * submit, which loading alone does not. Self-contained, as Playwright sends only its source.
 */
function inspect(): { title: string; textLength: number; parseError: boolean; latent: string[] } {
  const scriptUrl = /^\s*(?:javascript|vbscript|data:\s*text\/html)/i;
  const urlAttributes = new Set(['href', 'src', 'action', 'formaction', 'data', 'xlink:href', 'background', 'poster']);
  const latent: string[] = [];
  for (const element of Array.from(document.querySelectorAll('*'))) {
    for (const attribute of Array.from(element.attributes)) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith('on') || name === 'srcdoc' || (urlAttributes.has(name) && scriptUrl.test(attribute.value))) {
        latent.push(`<${element.localName} ${name}="${attribute.value.slice(0, 80)}">`);
      }
    }
  }
  return {
    title: document.title,
    textLength: (document.body?.innerText ?? document.documentElement.textContent ?? '').trim().length,
    parseError: document.getElementsByTagName('parsererror').length > 0,
    latent,
  };
}

/** Handlers such as ontoggle and onfocus, and a meta refresh, fire just after load: two frames and a task later they have. */
function settle(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0))));
}

async function latentInFrames(frames: Frame[]): Promise<string[]> {
  // A frame that another origin owns (a data: iframe) cannot be read; the marker still hears it.
  const each = await Promise.all(frames.map((frame) => frame.evaluate(inspect).then((seen) => seen.latent, () => [`frame ${frame.url()} not readable`])));
  return each.flat();
}

/**
 * Opens each page (absolute paths under `root`) in turn, waits for it to load and settle, and
 * reports what ran, what was requested and what it shows. One tab serves every page: a new tab
 * costs a renderer process (about 0.5 s here), a navigation about 0.1 s.
 */
export async function visitPages(root: string, pages: string[]): Promise<Visit[]> {
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
  try {
    const context = await browser.newContext();
    const visits: Visit[] = [];
    let visit: Visit | undefined;
    await context.exposeBinding(markerName, (_source, where: unknown) => {
      visit?.markers.push(String(where));
    });
    const outside = new Map<Request, Visit>();
    context.on('request', (request) => {
      if (visit && !insideFolder(root, request.url())) outside.set(request, visit);
    });
    // Chromium reports a load that CSP refused as a request too, then fails it with 'csp'.
    context.on('requestfailed', (request) => {
      const owner = outside.get(request);
      if (owner && request.failure()?.errorText === 'csp') {
        outside.delete(request);
        owner.blocked.push(request.url());
      }
    });
    const tab = await context.newPage();
    tab.on('dialog', (dialog) => {
      visit?.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss().catch(() => undefined);
    });
    for (const file of pages) {
      visit = {
        page: path.relative(root, file), title: '', textLength: 0, parseError: false,
        markers: [], dialogs: [], escapes: [], blocked: [], navigatedTo: null, latent: [],
      };
      visits.push(visit);
      const url = pathToFileURL(file).href;
      await tab.goto(url, { waitUntil: 'load' });
      // A page that navigates away while settling destroys the context the wait runs in.
      await tab.evaluate(settle).catch(() => undefined);
      if (tab.url() !== url) {
        visit.navigatedTo = tab.url();
        continue;
      }
      const seen = await tab.evaluate(inspect);
      const [, ...children] = tab.frames();
      Object.assign(visit, seen, { latent: [...seen.latent, ...(await latentInFrames(children))] });
    }
    await context.close();
    for (const [request, owner] of outside) owner.escapes.push(request.url());
    return visits;
  } finally {
    await browser.close();
  }
}

/**
 * A TCP listener that remote payloads point at: the browser's own request log could miss a
 * connection made outside a page (a preconnect, a prefetch), the listener cannot.
 */
export interface Tripwire {
  origin: string;
  connections: number;
  close(): Promise<void>;
}

export async function tripwire(): Promise<Tripwire> {
  const sockets = new Set<net.Socket>();
  const wire = { origin: '', connections: 0 } as Tripwire;
  const server = net.createServer((socket) => {
    wire.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    // An answer, so that the browser does not sit waiting for one until its own timeout.
    socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  });
  // 127.0.0.2 is loopback on Linux but nothing else listens there: every connection is the page's.
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.2', resolve));
  const { port } = server.address() as net.AddressInfo;
  wire.origin = `http://127.0.0.2:${port}`;
  wire.close = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return wire;
}

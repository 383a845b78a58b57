/** `resources/style.css`: a quiet notebook look that survives printing and needs no web fonts (pages load nothing remote). */
export const styleCss = `:root {
  --ink: #1f2328;
  --muted: #59636e;
  --rule: #d1d9e0;
  --paper: #ffffff;
  --shade: #f6f8fa;
  --accent: #0b5cad;
}

* { box-sizing: border-box; }

html { background: var(--shade); }

body {
  margin: 0 auto;
  max-width: 60rem;
  padding: 0 1.5rem 2rem;
  background: var(--paper);
  color: var(--ink);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  min-height: 100vh;
}

a { color: var(--accent); }
a:visited { color: #6639ba; }

header.site {
  border-bottom: 1px solid var(--rule);
  padding: 0.75rem 0;
  margin-bottom: 1.5rem;
}
header.site nav { display: flex; flex-wrap: wrap; gap: 1.25rem; }
header.site a { text-decoration: none; font-weight: 600; }

footer.site {
  border-top: 1px solid var(--rule);
  margin-top: 2.5rem;
  padding-top: 0.75rem;
  color: var(--muted);
  font-size: 0.85rem;
}

h1, h2, h3 { line-height: 1.25; margin: 1.5em 0 0.5em; }
h1 { font-size: 1.75rem; margin-top: 0; }
h2 { font-size: 1.3rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.25rem; }
h3 { font-size: 1.05rem; }

.subtitle { color: var(--muted); margin-top: -0.25rem; }
.muted { color: var(--muted); }
.notice {
  border-left: 4px solid #bf8700;
  background: #fff8c5;
  padding: 0.5rem 0.75rem;
}

img.icon { width: 1em; height: 1em; vertical-align: -0.125em; }
img { max-width: 100%; height: auto; }

table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid var(--rule); padding: 0.35rem 0.6rem; text-align: left; vertical-align: top; }
th { background: var(--shade); font-weight: 600; }
table.meta th { white-space: nowrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; word-break: break-all; }

ul.tags { display: flex; flex-wrap: wrap; gap: 0.35rem; list-style: none; margin: 0; padding: 0; }
ul.tags li { background: #ddf4ff; border-radius: 1rem; padding: 0 0.6rem; font-size: 0.9em; }

ul.listing { list-style: none; padding-left: 0; }
ul.listing li, ol.entries li { margin: 0.3rem 0; }
ol.entries { padding-left: 2rem; }

section.field { margin: 1.5rem 0; }
.field-content { overflow-wrap: anywhere; }
.field-content table { max-width: 100%; }

ul.attachments { list-style: none; padding-left: 0; }
figure { margin: 1rem 0; }
figure.attachment img { max-height: 20rem; border: 1px solid var(--rule); }
figure.preview img { border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 0.25rem; }

nav.letters { display: flex; flex-wrap: wrap; gap: 0.5rem; font-weight: 600; }

@media print {
  html, body { background: none; }
  body { max-width: none; padding: 0; font-size: 11pt; }
  header.site, nav.letters { display: none; }
  a { color: inherit; }
  .field-content a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 0.85em; color: var(--muted); }
  h1, h2, h3 { break-after: avoid; }
  figure, tr, img { break-inside: avoid; }
}
`;

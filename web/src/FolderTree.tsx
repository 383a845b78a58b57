import { useEffect, useState } from 'preact/hooks';
import { folderTree, type TreeRecord } from './api.js';

export interface Picks {
  selected: ReadonlySet<number>;
  toggle(id: number): void;
}

const kindNames: Record<TreeRecord['type'], string> = { FOLDER: 'folder', NOTEBOOK: 'notebook', DOCUMENT: 'document', MEDIA: 'file' };

/**
 * What a folder holds, a page at a time, fetched when first shown. A folder or notebook picked
 * exports everything in it (the server expands it), so what lies inside shows as included.
 */
function Contents({ folderId, picks, included, label }: { folderId: number | null; picks: Picks; included: boolean; label: string }) {
  const [records, setRecords] = useState<TreeRecord[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState('');
  const [pageNumber, setPageNumber] = useState(0);

  useEffect(() => {
    folderTree(folderId, pageNumber).then(
      (page) => {
        setRecords((before) => [...before, ...page.records]);
        setTotal(page.totalHits);
      },
      (failure: Error) => setError(failure.message),
    );
  }, [folderId, pageNumber]);

  if (error) return <p class="error">{error}</p>;
  if (total === null) return <p class="muted">Loading…</p>;
  if (total === 0) return <p class="muted">Empty</p>;
  return (
    <>
      <ul class="tree" aria-label={label}>
        {records.map((record) => (
          <Node key={record.id} record={record} picks={picks} included={included} />
        ))}
      </ul>
      {records.length < total && (
        <button type="button" class="link" onClick={() => setPageNumber(pageNumber + 1)}>
          Show more ({total - records.length} left)
        </button>
      )}
    </>
  );
}

function Node({ record, picks, included }: { record: TreeRecord; picks: Picks; included: boolean }) {
  const [open, setOpen] = useState(false);
  const container = record.type === 'FOLDER' || record.type === 'NOTEBOOK';
  const checked = included || picks.selected.has(record.id);
  const box = `pick-${record.id}`;
  return (
    <li>
      <div class="row">
        {container ? (
          <button
            type="button"
            class="twisty"
            aria-expanded={open}
            aria-controls={open ? `in-${record.id}` : undefined}
            aria-label={`Contents of ${record.name}`}
            onClick={() => setOpen(!open)}
          >
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span class="twisty" aria-hidden="true" />
        )}
        <input id={box} type="checkbox" checked={checked} disabled={included} onChange={() => picks.toggle(record.id)} />
        <label for={box}>
          {record.name} <span class="muted">({kindNames[record.type]})</span>
        </label>
      </div>
      {open && (
        <div id={`in-${record.id}`} class="inside">
          <Contents folderId={record.id} picks={picks} included={checked} label={`In ${record.name}`} />
        </div>
      )}
    </li>
  );
}

/** The signed-in user's home folder, as a tree of checkboxes. */
export function FolderTree({ picks }: { picks: Picks }) {
  return <Contents folderId={null} picks={picks} included={false} label="Your home folder" />;
}

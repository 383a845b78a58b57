import { useEffect, useState } from 'preact/hooks';
import { listGroups, listUsers, startExport, type ExportFormat, type ExportTarget, type Group, type Job, type Session, type User } from './api.js';
import { FolderTree } from './FolderTree.js';

type Scope = 'mine' | 'group' | 'member' | 'user' | 'selection';

/**
 * The groups whose work this user may export: a PI's lab groups, and a lab admin's (the API
 * refuses one without view-all, which /groups does not show); every group for a sysadmin.
 */
function overseen(groups: Group[], session: Session): Group[] {
  if (session.user.hasSysAdminRole) return groups;
  return groups.filter((g) => g.type === 'LAB_GROUP' && g.members.some((m) => m.id === session.user.id && (m.role === 'PI' || m.role === 'RS_LAB_ADMIN')));
}

/** A labelled choice of one group or person, by id. */
function Pick({ id, label, value, onPick, options }: { id: string; label: string; value: number | null; onPick: (id: number) => void; options: [number, string][] }) {
  return (
    <p>
      <label for={id}>{label}</label>
      <select id={id} value={value ?? ''} onChange={(e) => onPick(Number(e.currentTarget.value))}>
        {options.map(([key, text]) => (
          <option key={key} value={key}>{text}</option>
        ))}
      </select>
    </p>
  );
}

export function NewExport({ session, onStarted }: { session: Session; onStarted: (job: Job) => void }) {
  const sysadmin = session.user.hasSysAdminRole;
  const [groups, setGroups] = useState<Group[]>([]);
  const [users, setUsers] = useState<User[]>([]);
  const [format, setFormat] = useState<ExportFormat>('html');
  const [scope, setScope] = useState<Scope>('mine');
  const [groupId, setGroupId] = useState<number | null>(null);
  const [memberId, setMemberId] = useState<number | null>(null);
  const [userId, setUserId] = useState<number | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<number>>(new Set());
  const [revisions, setRevisions] = useState(false);
  const [linkLevel, setLinkLevel] = useState(1);
  const [since, setSince] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    listGroups().then((all) => {
      const mine = overseen(all, session);
      setGroups(mine);
      setGroupId(mine[0]?.id ?? null);
    }, (failure: Error) => setError(failure.message));
    if (sysadmin) {
      listUsers().then((all) => {
        setUsers(all);
        setUserId(all[0]?.id ?? null);
      }, (failure: Error) => setError(failure.message));
    }
  }, [session]);

  const group = groups.find((g) => g.id === groupId);
  const members = group?.members.filter((m) => m.id !== session.user.id) ?? [];
  useEffect(() => setMemberId(members[0]?.id ?? null), [groupId, groups]);

  const toggle = (id: number) => {
    const next = new Set(selected);
    if (!next.delete(id)) next.add(id);
    setSelected(next);
  };

  const target = (): ExportTarget | string => {
    switch (scope) {
      case 'mine':
        return { scope: 'user', id: null };
      case 'group':
        return groupId === null ? 'Choose a group.' : { scope: 'group', id: groupId };
      case 'member':
        return memberId === null ? 'Choose a member of the group.' : { scope: 'user', id: memberId };
      case 'user':
        return userId === null ? 'Choose a user.' : { scope: 'user', id: userId };
      case 'selection':
        return selected.size === 0 ? 'Tick at least one folder, notebook or document.' : { scope: 'selection', ids: [...selected] };
    }
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const chosen = target();
    if (typeof chosen === 'string') {
      setError(chosen);
      return;
    }
    setBusy(true);
    setError('');
    try {
      onStarted(await startExport(format, chosen, { includeRevisionHistory: revisions, maxLinkLevel: linkLevel, modifiedSince: since }));
    } catch (failure) {
      setError((failure as Error).message);
      setBusy(false);
    }
  };

  const scopeChoice = (value: Scope, text: string) => (
    <label class="inline">
      <input type="radio" name="scope" value={value} checked={scope === value} onChange={() => setScope(value)} /> {text}
    </label>
  );

  return (
    <section aria-labelledby="new-export">
      <h1 id="new-export" tabIndex={-1}>New export</h1>
      <form onSubmit={submit}>
        <p>
          <label for="format">Format</label>
          <select id="format" value={format} onChange={(e) => setFormat(e.currentTarget.value as ExportFormat)}>
            <option value="html">HTML (pages to read in a browser)</option>
            <option value="xml">XML (RSpace's archive, to import elsewhere)</option>
            <option value="eln">.eln (RO-Crate, for any ELN)</option>
          </select>
        </p>
        <fieldset>
          <legend>What to export</legend>
          {scopeChoice('mine', 'All my work')}
          {groups.length > 0 && scopeChoice('group', sysadmin ? 'A group' : 'My group')}
          {groups.length > 0 && !sysadmin && scopeChoice('member', 'A member of my group')}
          {sysadmin && users.length > 0 && scopeChoice('user', 'A user')}
          {scopeChoice('selection', 'Folders, notebooks and documents I pick')}
        </fieldset>
        {(scope === 'group' || scope === 'member') && (
          <Pick id="group" label="Group" value={groupId} onPick={setGroupId} options={groups.map((g) => [g.id, g.name])} />
        )}
        {scope === 'member' && <Pick id="member" label="Member" value={memberId} onPick={setMemberId} options={members.map((m) => [m.id, m.username])} />}
        {scope === 'user' && (
          <Pick id="user" label="User" value={userId} onPick={setUserId} options={users.map((u) => [u.id, `${u.username} (${u.firstName} ${u.lastName})`])} />
        )}
        {scope === 'selection' && (
          <fieldset class="picker">
            <legend>Pick from your folders ({selected.size} picked)</legend>
            <FolderTree picks={{ selected, toggle }} />
          </fieldset>
        )}
        <fieldset>
          <legend>Options</legend>
          <p>
            <label class="inline">
              <input type="checkbox" checked={revisions} onChange={(e) => setRevisions(e.currentTarget.checked)} /> Include every revision of each document
            </label>
          </p>
          <p>
            <label for="links">Follow links between documents this many steps</label>
            <input id="links" type="number" min={0} max={100} value={linkLevel} onInput={(e) => setLinkLevel(Number(e.currentTarget.value))} />
          </p>
          <p>
            <label for="since">Only what changed since (optional)</label>
            <input id="since" type="date" value={since} onInput={(e) => setSince(e.currentTarget.value)} />
          </p>
        </fieldset>
        {error && <p role="alert" class="error">{error}</p>}
        <button type="submit" disabled={busy}>Start export</button>
      </form>
    </section>
  );
}

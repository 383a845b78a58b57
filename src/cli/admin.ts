import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { groupRoles, type GroupRole, type GroupType, type SystemRole } from '../domain/model.js';
import { createGroup } from '../content/groups.js';
import { createUser, resetApiKey } from '../content/users.js';
import { openStore, type Store } from '../store/db.js';
import { findUserByUsername } from '../store/queries/users.js';

/** Admin commands work on the store directly, for a shell on the server's machine. */
async function withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(loadConfig());
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function member(spec: string, previous: { username: string; roleInGroup: GroupRole; viewAll?: boolean }[] = []) {
  const [username = '', role = 'DEFAULT', flag] = spec.split(':');
  if (!groupRoles.includes(role as GroupRole)) {
    throw new Error(`--member ${spec}: the role must be one of ${groupRoles.join(', ')}`);
  }
  return [...previous, { username, roleInGroup: role as GroupRole, viewAll: flag === 'viewAll' }];
}

export function registerAdmin(program: Command): void {
  const admin = program.command('admin').description('manage users and groups from a shell on the server');

  admin
    .command('create-user')
    .requiredOption('--username <name>')
    .requiredOption('--email <address>')
    .requiredOption('--first-name <name>')
    .requiredOption('--last-name <name>')
    .option('--role <role>', 'ROLE_USER, ROLE_PI, ROLE_ADMIN or ROLE_SYSADMIN', 'ROLE_USER')
    .option('--password <password>')
    .option('--api-key <key>', 'use this key instead of a generated one')
    .action(async (o: { username: string; email: string; firstName: string; lastName: string; role: string; password?: string; apiKey?: string }) => {
      const { user, apiKey } = await withStore((store) =>
        createUser(store.db, store.apiKeys, { ...o, role: o.role as SystemRole }),
      );
      console.log(`Created user ${user.username} (id ${user.id}); API key: ${apiKey}`);
    });

  admin
    .command('create-group')
    .requiredOption('--name <name>')
    .option('--type <type>', 'LAB_GROUP or PROJECT_GROUP', 'LAB_GROUP')
    .requiredOption('--member <username:role[:viewAll]>', 'repeat for each member; role PI, DEFAULT or RS_LAB_ADMIN', member)
    .action(async (o: { name: string; type: string; member: ReturnType<typeof member> }) => {
      const group = await withStore((store) =>
        createGroup(store.db, { displayName: o.name, type: o.type as GroupType, members: o.member }),
      );
      console.log(`Created group ${group.name} (id ${group.id}) with ${group.members.length} member(s)`);
    });

  admin
    .command('reset-key')
    .requiredOption('--username <name>')
    .option('--api-key <key>', 'use this key instead of a generated one')
    .action(async (o: { username: string; apiKey?: string }) => {
      const key = await withStore(async (store) => {
        const user = await findUserByUsername(store.db, o.username);
        if (!user) throw new Error(`No user named ${o.username}`);
        return resetApiKey(store.db, store.apiKeys, user.id, o.apiKey);
      });
      console.log(`New API key for ${o.username}: ${key}`);
    });
}

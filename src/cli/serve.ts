import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { ensureFirstSysadmin } from '../content/users.js';
import { openParts, startServer } from '../server.js';
import { seedDemoLab, type DemoKey } from './demo.js';

function printKeys(url: string, keys: DemoKey[]): void {
  console.log('\nDemo lab API keys and passwords (kept in the data directory as demo-keys.json):');
  for (const k of keys) console.log(`  ${k.username.padEnd(10)} ${k.role.padEnd(14)} ${k.apiKey}${k.password ? `  password ${k.password}` : ''}`);
  const alice = keys.find((k) => k.username === 'alice') ?? keys[0];
  if (alice) {
    console.log(`\nThe exports page: ${url}/ (sign in as ${alice.username}${alice.password ? ` with the password ${alice.password}` : ''})`);
    console.log(`\nStart an export of ${alice.username}'s work, then follow the job it returns:`);
    console.log(`  curl -s -X POST -H "apiKey: ${alice.apiKey}" ${url}/api/v1/export/html/user`);
    console.log(`  curl -s -H "apiKey: ${alice.apiKey}" ${url}/api/v1/jobs/<id>\n`);
  }
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the API (configured by environment variables: see the README)')
    .option('--demo', 'on an empty database, add a demo lab and print its API keys')
    .option('--role <role>', 'api (HTTP, queues jobs), worker (runs exports and the sweeper) or all; overrides ELNPORT_ROLE (default all)')
    .action(async (options: { demo?: boolean; role?: string }) => {
      const config = loadConfig(undefined, { role: options.role });
      if (options.demo && config.role === 'worker') throw new Error('--demo adds users and shows their keys: run it with the api (or all) role');
      const parts = await openParts(config);
      // Users are the API's business: a worker starting beside an api on an empty database must
      // not race it to create the first sysadmin.
      const first = config.role === 'worker' ? null : await ensureFirstSysadmin(parts.store.db, parts.store.apiKeys, config.sysadminApiKey);
      const demoKeys = options.demo ? await seedDemoLab(config, parts, first?.apiKey ?? null) : [];
      // A generated key is shown once: with the demo's keys, or here when no demo lab was added
      // (the database already held users made by `elnport admin`).
      if (first && !config.sysadminApiKey && !demoKeys.some((k) => k.apiKey === first.apiKey)) {
        console.log(`Created the first sysadmin, "${first.user.username}", with API key ${first.apiKey} (shown once).`);
      }
      const server = await startServer(config, parts);
      if (demoKeys.length) printKeys(config.publicUrl ?? server.url, demoKeys);
      const stop = async (signal: string) => {
        server.app.log.info(`${signal}: shutting down`);
        await server.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop('SIGINT'));
      process.once('SIGTERM', () => void stop('SIGTERM'));
    });
}

import { Command } from 'commander';
import { version } from '../version.js';
import { registerServe } from './serve.js';
import { registerAdmin } from './admin.js';
import { registerExport } from './export.js';
import { registerBackup } from './backup.js';
import { registerImport } from './import.js';

const program = new Command('elnport')
  .description("Gets a research lab's work out of its electronic lab notebook")
  .version(version);
registerServe(program);
registerAdmin(program);
registerExport(program);
registerBackup(program);
registerImport(program);

program.parseAsync().catch((error: unknown) => {
  console.error(`elnport: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});

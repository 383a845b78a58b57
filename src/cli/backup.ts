import type { Command } from 'commander';

export function registerBackup(program: Command): void {
  program.command('backup').description('make a verified backup archive (being written)');
}

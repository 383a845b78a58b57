import type { Command } from 'commander';

export function registerExport(program: Command): void {
  program.command('export').description('export work from an elnport or RSpace server (being written)');
}

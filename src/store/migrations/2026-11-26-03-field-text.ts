import type { Kysely } from 'kysely';

/**
 * Search reads a field's plain text, not its HTML: "strong" must not match every field with bold
 * type, and "a < b" must find what is stored as `a &lt; b`. Frozen: the tag stripper below is
 * this migration's own, used once to fill the column for fields written before it.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function text(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|#x[0-9a-f]+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] !== '#') return entities[name.toLowerCase()] ?? whole;
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('fields').addColumn('text', 'text', (c) => c.notNull().defaultTo('')).execute();
  let after = 0;
  for (;;) {
    const rows: { id: number; content: string }[] = await db
      .selectFrom('fields')
      .select(['id', 'content'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(500)
      .execute();
    if (rows.length === 0) break;
    for (const row of rows) await db.updateTable('fields').set({ text: text(row.content) }).where('id', '=', row.id).execute();
    after = rows[rows.length - 1]!.id;
  }
}

import type { Db } from '../../store/db.js';
import { documentFolder } from '../../domain/archiveNames.js';
import { crateEntitiesHolding, forgetUnrenderedDocuments, saveCrateEntities } from '../../store/queries/crateEntities.js';
import { documentEntityId } from './crateEntities.js';

/**
 * Keeps each document's RO-Crate entities with its plan row as its pages are written, a batch at a
 * time, for `ro-crate-metadata.json` to read back last. A document's kept versions come right
 * after it, perhaps in the next batch, and join its row: it is stored once the next document starts.
 */
export class StoredEntities {
  private pending: { id: number; parts: string[] } | undefined;
  private ready: { id: number; json: string }[] = [];

  constructor(
    private readonly db: Db,
    private readonly jobId: number,
  ) {}

  add(id: number, entities: string): void {
    if (!entities) return;
    if (this.pending?.id === id) {
      this.pending.parts.push(entities);
      return;
    }
    this.settle();
    this.pending = { id, parts: [entities] };
  }

  /** Stores what is complete. */
  async save(): Promise<void> {
    if (this.ready.length === 0) return;
    const ready = this.ready;
    this.ready = [];
    await saveCrateEntities(this.db, this.jobId, ready);
  }

  /**
   * Stores the rest, and drops from the plan the documents that have none: deleted since the
   * export was planned, so not in the archive, they must not be parts of anything in its metadata.
   */
  async finish(): Promise<void> {
    this.settle();
    await this.save();
    const gone = await forgetUnrenderedDocuments(this.db, this.jobId);
    if (gone.length) await this.unmention(gone.map(({ id, name }) => documentEntityId(documentFolder(name, id))));
  }

  /** A document rendered before another was deleted may mention it: those mentions go too. */
  private async unmention(ids: string[]): Promise<void> {
    const gone = new Set(ids);
    const rewritten = (await crateEntitiesHolding(this.db, this.jobId, ids.map((id) => JSON.stringify(id)))).map(({ id, json }) => {
      const entities = (JSON.parse(`[${json}]`) as Record<string, unknown>[]).map((entity) => {
        const mentions = (entity.mentions as { '@id': string }[] | undefined)?.filter((m) => !gone.has(m['@id']));
        if (!mentions) return entity;
        const kept: Record<string, unknown> = { ...entity, mentions };
        if (mentions.length === 0) delete kept.mentions;
        return kept;
      });
      return { id, json: entities.map((e) => JSON.stringify(e)).join(',\n') };
    });
    await saveCrateEntities(this.db, this.jobId, rewritten);
  }

  private settle(): void {
    if (this.pending) this.ready.push({ id: this.pending.id, json: this.pending.parts.join(',\n') });
    this.pending = undefined;
  }
}

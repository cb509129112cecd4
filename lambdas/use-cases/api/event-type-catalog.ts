/**
 * What publish and the test route read from the event-type catalog: definitions through a short per-container
 * cache, and their compiled schemas.
 */
import { type EventTypeDefinition, SchemaCache, schemaErrors } from '../../core/event-catalog';
import { ValidationError } from '../../core/errors';
import type { Clock } from '../../ports';
import type { EventTypeStore } from '../../ports/event-type-store';

/** How long a container trusts what it read of the catalog. A change made through another container applies within it. */
export const CATALOG_CACHE_MS = 10_000;

/**
 * The catalog as publish sees it. Every publish needs its type's definition, and the catalog lives in one table
 * partition: reading it once per publish would put the whole publish rate on that partition, so each container
 * keeps what it read (registered or not) for {@link CATALOG_CACHE_MS}. A change made through this container is
 * seen at once ({@link forget}); one made through another container within that time.
 */
export class EventTypeCatalog {
  private readonly read = new Map<string, { readonly at: number; readonly definition: EventTypeDefinition | undefined }>();
  private readonly schemas = new SchemaCache();

  constructor(
    readonly store: EventTypeStore,
    private readonly clock: Clock,
    private readonly ttlMs = CATALOG_CACHE_MS,
  ) {}

  async definition(type: string): Promise<EventTypeDefinition | undefined> {
    const now = this.clock.now();
    const hit = this.read.get(type);
    if (hit !== undefined && now - hit.at < this.ttlMs) return hit.definition;
    const definition = await this.store.get(type);
    this.read.set(type, { at: now, definition });
    return definition;
  }

  forget(type: string): void {
    this.read.delete(type);
  }

  /**
   * Checks event data against its type's registered schema.
   *
   * @throws ValidationError (400) naming the path of each problem (`data.user.email: is required ...`)
   */
  async check(type: string, data: unknown): Promise<void> {
    const definition = await this.definition(type);
    if (definition === undefined) return;
    const validate = this.schemas.validator(definition);
    if (validate === undefined) return;
    const problems = schemaErrors(validate, data, 'data');
    if (problems.length > 0) throw new ValidationError(`data does not match the schema of event type ${type}`, problems);
  }
}

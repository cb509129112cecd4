import type { Item } from './schema';

/**
 * Builds a DynamoDB `UpdateExpression` of SET and REMOVE clauses with generated placeholder names
 * (`#a0`, `:v0`, ...), so attribute names never collide with reserved words. Condition expressions may add
 * their own names and values to `names` / `values` under other placeholders.
 */
export class UpdateExpression {
  readonly names: Record<string, string> = {};
  readonly values: Item = {};
  private readonly sets: string[] = [];
  private readonly removes: string[] = [];
  private n = 0;

  set(attribute: string, value: unknown): this {
    const i = this.n++;
    this.names[`#a${i}`] = attribute;
    this.values[`:v${i}`] = value;
    this.sets.push(`#a${i} = :v${i}`);
    return this;
  }

  remove(attribute: string): this {
    const i = this.n++;
    this.names[`#a${i}`] = attribute;
    this.removes.push(`#a${i}`);
    return this;
  }

  /** The expression; at least one SET or REMOVE must have been added. */
  toString(): string {
    const parts = [];
    if (this.sets.length > 0) parts.push(`SET ${this.sets.join(', ')}`);
    if (this.removes.length > 0) parts.push(`REMOVE ${this.removes.join(', ')}`);
    return parts.join(' ');
  }
}

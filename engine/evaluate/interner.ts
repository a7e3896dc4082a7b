/**
 * Canonical values for tuples of primitives, through nested maps: one `Map.get` per field and no key
 * string per call. Dedup uses it to turn each of 100,000 findings' workload and variant fields into an
 * object that can be compared by identity; maps keep `undefined` apart from `''`, and hostile input
 * (100,000 distinct pods) costs memory in proportion, never quadratic time.
 */
type Node = Map<unknown, unknown>;

export class TupleInterner<V> {
  private readonly root: Node = new Map();

  /** The value for `fields`, made by `create(fields)` the first time these fields are seen. */
  intern(fields: readonly unknown[], create: (fields: readonly unknown[]) => V): V {
    let node = this.root;
    const last = fields.length - 1;
    for (let i = 0; i < last; i++) {
      let next = node.get(fields[i]) as Node | undefined;
      if (!next) {
        next = new Map();
        node.set(fields[i], next);
      }
      node = next;
    }
    let value = node.get(fields[last]) as V | undefined;
    if (value === undefined) {
      value = create(fields);
      node.set(fields[last], value);
    }
    return value;
  }
}

import type { CasOutcome, Revisioned } from '../../runtime/stores/revision.js';
import type { BucketSpec } from '../buckets.js';
import type { EnvelopeCodec } from '../envelope.js';
import { KvView } from '../kv-view.js';
import { decodeName } from '../naming.js';
import type { ClusterNode } from '../node.js';

/** What a bucket keyed by pipeline name holds: the name (keys are encoded) and its value under `field`. */
export type NamedRecord<F extends string, V> = { readonly name: string } & { readonly [K in F]: V };

/**
 * One value per pipeline name in a bucket (key = encoded name), mirrored in memory so reads are
 * map lookups; writes are compare-and-set on the key's revision. The version and canary-state
 * stores are this with their own bucket, envelope and field.
 */
export class NamedRecords<F extends string, V> {
  private readonly view: KvView<NamedRecord<F, V>>;

  constructor(
    private readonly node: ClusterNode,
    spec: BucketSpec,
    codec: EnvelopeCodec<NamedRecord<F, V>>,
    private readonly field: F,
  ) {
    this.view = new KvView({ node, spec, codec, isKey: (k) => decodeName(k) !== undefined });
  }

  get(name: string): Revisioned<V> | undefined {
    const key = this.node.names.keyOf(name);
    const e = key === undefined ? undefined : this.view.get(key);
    return e && e.value.name === name ? { value: e.value[this.field], revision: e.revision } : undefined;
  }

  *entries(): Iterable<{ readonly name: string; readonly value: V; readonly revision: number }> {
    for (const [, e] of this.view.entries()) yield { name: e.value.name, value: e.value[this.field], revision: e.revision };
  }

  async put(name: string, value: V, expectedRevision: number): Promise<CasOutcome<V>> {
    const key = this.node.names.keyOf(name);
    if (key === undefined) throw new Error(`pipeline name too long for the shared store (${name.length} characters)`);
    const record = { name, [this.field]: value } as NamedRecord<F, V>;
    const outcome = await this.view.compareAndSet(key, record, expectedRevision);
    if (outcome.ok) return { ok: true, revision: outcome.revision };
    return { ok: false, current: outcome.current ? { value: outcome.current.value[this.field], revision: outcome.current.revision } : undefined };
  }

  resync(): Promise<void> {
    return this.view.synchronise();
  }
}

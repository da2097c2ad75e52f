import type { DeclaredModule, ProviderConnection } from './connection.js';

/**
 * Who owns a namespace, and the executors that serve it. A namespace is claimed either by one
 * solo connection (empty group id) or by a group: every connection that registers it with the
 * same group id. A group is one logical provider with several executors: the first member's
 * registration creates the modules, later members must declare the very same modules with the
 * very same schemas (the reference never compares them; a member with another schema would
 * answer calls compiled against the first one's types) and only add their executor.
 *
 * Calls are spread round-robin over the members that can take them (not draining, not gone,
 * offering the module), so a call retried after a failure goes to the next member. The claim
 * ends with its last member.
 */
export class NamespaceClaim {
  readonly members: ProviderConnection[] = [];
  /** The modules the engine holds for this namespace: short name → declaration. */
  modules = new Map<string, DeclaredModule>();
  private cursor = 0;

  constructor(readonly namespace: string, readonly groupId: string) {}

  get isGroup(): boolean {
    return this.groupId !== '';
  }

  /** Adds a member (again: replaces it in place). */
  add(conn: ProviderConnection): void {
    const at = this.members.findIndex((m) => m.id === conn.id);
    if (at >= 0) this.members[at] = conn;
    else this.members.push(conn);
  }

  /** Removes a member; true when none is left. */
  remove(conn: ProviderConnection): boolean {
    const at = this.members.indexOf(conn);
    if (at >= 0) {
      this.members.splice(at, 1);
      if (this.cursor > at) this.cursor--;
    }
    return this.members.length === 0;
  }

  /** Does any other live member still offer this module? */
  offeredByOthers(module: string, except: ProviderConnection): boolean {
    return this.members.some((m) => m !== except && m.state !== 'Disconnected' && m.modules.has(module));
  }

  /** The next member to call for `module`, or undefined when none can take calls. */
  pick(module: string): ProviderConnection | undefined {
    const n = this.members.length;
    for (let i = 0; i < n; i++) {
      const at = (this.cursor + i) % n;
      const m = this.members[at]!;
      if (m.routable && m.modules.has(module)) {
        this.cursor = (at + 1) % n;
        return m;
      }
    }
    return undefined;
  }
}

/**
 * Why a group member's declarations differ from the group's modules, or undefined when they
 * match exactly (same names, same input and output schemas).
 */
export function groupMismatch(group: ReadonlyMap<string, DeclaredModule>, declared: ReadonlyMap<string, DeclaredModule>): string | undefined {
  const missing = [...group.keys()].filter((n) => !declared.has(n));
  const extra = [...declared.keys()].filter((n) => !group.has(n));
  const changed = [...declared.values()].filter((d) => group.has(d.name) && group.get(d.name)!.shape !== d.shape).map((d) => d.name);
  const parts: string[] = [];
  if (changed.length) parts.push(`different schemas for ${changed.join(', ')}`);
  if (missing.length) parts.push(`missing ${missing.join(', ')}`);
  if (extra.length) parts.push(`not in the group: ${extra.join(', ')}`);
  return parts.length ? parts.join('; ') : undefined;
}

/**
 * What attached parts (the cluster agent, the provider port…) add to the server's probes:
 * readiness checks (`/health/ready` is 200 only when all pass), sections of `/health/detail`
 * and of `/metrics` (JSON), and Prometheus lines. Every provider is synchronous and cheap: a
 * probe never waits on another system.
 */

export type ReadinessCheck = () => boolean;

export interface DiagnosticSection {
  /** A section of `/health/detail`, under the section's name. */
  detail?(): unknown;
  /** A section of `/metrics` (JSON), under the section's name. */
  metrics?(): unknown;
  /** Prometheus exposition lines (with HELP and TYPE), appended to `/metrics` text. */
  prometheus?(): string;
}

export class Diagnostics {
  readonly readiness = new Map<string, ReadinessCheck>();
  readonly sections = new Map<string, DiagnosticSection>();

  constructor(readiness: ReadonlyMap<string, ReadinessCheck> = new Map()) {
    for (const [name, check] of readiness) this.readiness.set(name, check);
  }

  /** `{name: value}` of every section that provides `which`; a throwing provider reports its error. */
  collect(which: 'detail' | 'metrics'): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, section] of this.sections) {
      const provider = section[which];
      if (!provider) continue;
      try {
        out[name] = provider.call(section);
      } catch (e) {
        out[name] = { error: e instanceof Error ? e.message : String(e) };
      }
    }
    return out;
  }

  prometheus(): string {
    let text = '';
    for (const section of this.sections.values()) {
      try {
        text += section.prometheus?.() ?? '';
      } catch {
        // a broken section must not break the scrape
      }
    }
    return text;
  }
}

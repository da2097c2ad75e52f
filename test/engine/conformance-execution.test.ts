import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRuntime, EXAMPLE_MODULES_FILE } from '../../actors/runtime-factory.js';
import { assertSameJson, describeResult } from './support.js';

/**
 * Every conformance case that is expected to run (test/conformance, format in its README)
 * through a fresh runtime per case — example pack on the worker pool (2 threads), fresh
 * resilience counters, caches and limiters — with outputs compared structurally.
 */

interface Case {
  readonly file: string;
  readonly name: string;
  readonly source: string;
  readonly inputs: Record<string, unknown>;
  readonly expect: { readonly outputs?: Record<string, unknown>; readonly compileError?: unknown };
}

function conformanceDir(): string {
  const fromHere = fileURLToPath(new URL('../../../test/conformance/', import.meta.url));
  return existsSync(fromHere) ? fromHere : join(process.cwd(), 'test', 'conformance');
}

const dir = conformanceDir();
const cases: Case[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Omit<Case, 'file'>) }));
const running = cases.filter((c) => c.expect.outputs !== undefined);

describe('conformance corpus: execution', () => {
  test('the corpus has running cases', () => {
    assert.ok(running.length >= 37, `found ${running.length} running cases`);
  });

  for (const c of running) {
    test(`${c.file}: ${c.name}`, async () => {
      const warnings: string[] = [];
      const rt = await createRuntime({ moduleFiles: [EXAMPLE_MODULES_FILE], pool: { threads: 2 }, warn: (m) => warnings.push(m) });
      try {
        const compiled = rt.engine.compile(c.source);
        assert.ok(compiled.ok && compiled.dag, compiled.diagnostics.map((d) => `${d.code} ${d.message}`).join('\n'));
        const result = await rt.engine.run(compiled.dag, c.inputs);
        assert.equal(result.status, 'completed', describeResult(result));
        assert.deepEqual(result.errors, []);
        assert.deepEqual(result.pendingOutputs, []);
        assertSameJson(result.outputs, c.expect.outputs);
        // every output is plain JSON (it survives a round trip unchanged)
        assert.deepStrictEqual(JSON.parse(JSON.stringify(result.outputs)), result.outputs);
      } finally {
        await rt.close();
      }
    });
  }
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FileSuspensionStore } from '../../server/stores/file-suspension-store.js';
import type { Tally } from '../fixtures/modules/engine.js';
import { compileOk, describeResult, ENGINE_MODULES_FILE, EXAMPLE_MODULES_FILE, stateOf, withRuntime } from './support.js';

/**
 * A suspended execution survives the process: a child process runs a pipeline with a missing
 * input against a FileSuspensionStore and exits; this process opens the same store with a new
 * engine, compiles the same source (so the DAG is known by its hash) and resumes it.
 */

const DIST = fileURLToPath(new URL('../../', import.meta.url));

const source = `in a: String
in b: String
fromA = Tally(a)
upper = Uppercase(fromA)
fromB = Tally(b)
out upper
out fromB
`;

function childScript(dataDir: string): string {
  const imp = (p: string) => JSON.stringify(pathToFileURL(join(DIST, p)).href);
  return `
import { createRuntime } from ${imp('actors/runtime-factory.js')};
import { FileSuspensionStore } from ${imp('server/stores/file-suspension-store.js')};
const rt = await createRuntime({
  moduleFiles: ${JSON.stringify([EXAMPLE_MODULES_FILE, ENGINE_MODULES_FILE])},
  pool: { threads: 1 },
  suspensionStore: new FileSuspensionStore(${JSON.stringify(dataDir)}),
});
try {
  const compiled = rt.engine.compile(${JSON.stringify(source)});
  if (!compiled.ok) throw new Error('compile failed');
  const result = await rt.engine.run(compiled.dag, { a: 'from the child' });
  const tally = rt.engine.modules.get('Tally').state.count;
  process.stdout.write(JSON.stringify({ executionId: result.executionId, status: result.status, outputs: result.outputs, missingInputs: result.missingInputs, tally }));
} finally {
  await rt.close();
}
`;
}

function runNode(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('suspension across a restart', () => {
  test('a child process suspends, exits; a new engine on the same file store resumes it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'constellation-suspend-'));
    try {
      const script = join(dir, 'child.mjs');
      await writeFile(script, childScript(dir));
      const child = await runNode(script);
      assert.equal(child.code, 0, child.stderr);
      const first = JSON.parse(child.stdout) as { executionId: string; status: string; outputs: Record<string, unknown>; missingInputs: Record<string, string>; tally: number };
      assert.equal(first.status, 'suspended');
      assert.deepEqual(first.missingInputs, { b: 'CString' });
      assert.deepEqual(first.outputs, { upper: 'FROM THE CHILD' });
      assert.equal(first.tally, 1);
      const snapshots = async () => (await readdir(join(dir, 'executions'))).filter((f) => f.endsWith('.json'));
      assert.deepEqual(await snapshots(), [`${first.executionId}.json`]);

      const store = new FileSuspensionStore(dir);
      await withRuntime({ suspensionStore: store }, async ({ engine, pool }) => {
        const listed = (await store.list()).items;
        assert.deepEqual(listed.map((s) => [s.executionId, s.status, s.missingInputs]), [[first.executionId, 'suspended', { b: 'CString' }]]);
        // the DAG becomes known by its structural hash when the same source is compiled
        compileOk(engine, source);
        const resumed = await engine.resume(first.executionId, { additionalInputs: { b: 'from the parent' } });
        assert.equal(resumed.status, 'completed', describeResult(resumed));
        assert.equal(resumed.executionId, first.executionId);
        assert.equal(resumed.resumptionCount, 1);
        assert.deepEqual(resumed.outputs, { upper: 'FROM THE CHILD', fromB: 'from the parent' });
        // the values computed by the child were reused: only Tally(b) ran here, and no Uppercase
        assert.deepEqual(stateOf<Tally>(engine, 'Tally').args, ['from the parent']);
        assert.equal(pool.stats.tasks, 0);
        assert.equal(await store.load(first.executionId), undefined);
        assert.deepEqual(await snapshots(), []);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('without the DAG (source not compiled again, no pipeline store) resume says PipelineNotFound', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'constellation-suspend-'));
    try {
      const store = new FileSuspensionStore(dir);
      let executionId = '';
      await withRuntime({ suspensionStore: store }, async ({ engine }) => {
        executionId = (await engine.run(compileOk(engine, source), { a: 'x' })).executionId;
      });
      await withRuntime({ suspensionStore: store }, async ({ engine }) => {
        await assert.rejects(engine.resume(executionId, { additionalInputs: { b: 'y' } }), (e: unknown) => (e as { code?: string }).code === 'PipelineNotFound');
        // and the claim was released: a later resume with the DAG known works
        compileOk(engine, source);
        const resumed = await engine.resume(executionId, { additionalInputs: { b: 'y' } });
        assert.equal(resumed.status, 'completed');
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

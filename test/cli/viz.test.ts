import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BAD_SOURCE, OK_SOURCE, parseJson, Scratch } from './support.js';

/** `constellation viz`: the DAG as DOT (default), Mermaid or a JSON graph, compiled locally. */

describe('constellation viz', () => {
  let s: Scratch;
  before(async () => {
    s = await Scratch.create();
    await s.write('ok.cst', OK_SOURCE);
    await s.write('bad.cst', BAD_SOURCE);
  });
  after(() => s.remove());

  test('DOT by default, titled with the file stem, with every node', async () => {
    const r = await s.run(['viz', 'ok.cst']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^digraph "ok" \{/);
    assert.match(r.stdout, /rankdir=LR/);
    for (const label of ['in name: String', 'in n: Int', 'Uppercase → greeting', 'total: Int', 'out greeting', 'out total']) {
      assert.ok(r.stdout.includes(`label="${label}"`), `${label} in\n${r.stdout}`);
    }
    assert.match(r.stdout, /n0 -> n2;/);
  });

  test('--format mermaid / -F mermaid', async () => {
    for (const flag of ['--format', '-F']) {
      const r = await s.run(['viz', 'ok.cst', flag, 'mermaid']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^flowchart LR/);
      assert.ok(r.stdout.includes('"Uppercase → greeting"'));
      assert.ok(r.stdout.includes('"out total"'));
      assert.match(r.stdout, /n0 --> n2/);
    }
  });

  test('--format json: nodes with dependencies and edges', async () => {
    const r = await s.run(['viz', 'ok.cst', '--format', 'json']);
    assert.equal(r.code, 0);
    const g = JSON.parse(r.stdout);
    const byId = new Map<string, any>(g.nodes.map((n: any) => [n.id, n]));
    assert.equal(byId.get('n0').label, 'name: String');
    assert.deepEqual(byId.get('n2').dependencies, ['n0']);
    assert.equal(byId.get('output_total').label, 'out: total');
    assert.ok(g.edges.some((e: any) => e.from === 'n2' && e.to === 'output_greeting'));
  });

  test('--json wraps the rendering in one object', async () => {
    const r = await s.run(['viz', 'ok.cst', '--json', '-F', 'mermaid']);
    const j = parseJson(r.stdout);
    assert.equal(j.success, true);
    assert.equal(j.format, 'mermaid');
    assert.match(j.output, /^flowchart LR/);
  });

  test('compile errors exit 1; a bad format, a missing file or --server exit 10', async () => {
    const bad = await s.run(['viz', 'bad.cst']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.cst:2:12: error E002/);
    assert.equal(bad.stdout, '');
    const format = await s.run(['viz', 'ok.cst', '--format', 'svg']);
    assert.equal(format.code, 10);
    assert.match(format.stderr, /unknown format 'svg'/);
    assert.equal((await s.run(['viz', 'gone.cst'])).code, 10);
    assert.equal((await s.run(['viz', 'ok.cst', '--server', 'http://127.0.0.1:1'])).code, 10);
  });
});

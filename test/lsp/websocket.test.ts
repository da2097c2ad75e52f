import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectClient, initialize, open, startLspServer, type LspClient, type LspServer } from '../helpers/lsp.js';

/**
 * The language server over a real WebSocket on a real server, driven by a vscode-jsonrpc client
 * that frames messages as the reference's VS Code extension does (header and body as separate
 * frames): diagnostics, completion, hover, semantic tokens, navigation, quick fixes, and the
 * constellation/* methods end to end.
 */

const URI = 'file:///work/orders.cst';
const PROGRAM = [
  'type Customer = { name: String, tier: String }',
  'in order: { id: Int, customer: Customer }',
  'in qty: Int',
  'greeting = Uppercase(order.customer.name)',
  'total = qty * 2',
  'out greeting',
  'out total',
  '',
].join('\n');

const LEGEND = ['namespace', 'type', 'function', 'variable', 'parameter', 'property', 'keyword', 'string', 'number', 'operator', 'comment'];

/** Absolute tokens from the LSP encoding. */
function decode(data: number[], text: string): { text: string; type: string; modifiers: number }[] {
  const lines = text.split('\n');
  const out: { text: string; type: string; modifiers: number }[] = [];
  let line = 0;
  let char = 0;
  for (let i = 0; i < data.length; i += 5) {
    const [dl, dc, length, type, modifiers] = data.slice(i, i + 5) as [number, number, number, number, number];
    line += dl;
    char = dl === 0 ? char + dc : dc;
    out.push({ text: lines[line]!.slice(char, char + length), type: LEGEND[type]!, modifiers });
  }
  return out;
}

describe('language server over a WebSocket', { timeout: 60_000 }, () => {
  let s: LspServer;
  let client: LspClient;
  const rpc = (method: string, params?: unknown) => client.connection.sendRequest<any>(method, params);
  const at = (line: number, character: number) => ({ textDocument: { uri: URI }, position: { line, character } });

  before(async () => {
    s = await startLspServer();
    client = await connectClient(s.url);
  });
  after(async () => {
    await client.close();
    await s.close();
  });

  test('initialize advertises incremental sync, semantic tokens and navigation', async () => {
    const result = await initialize(client);
    assert.equal(result.capabilities.textDocumentSync.change, 2);
    assert.deepEqual(result.capabilities.semanticTokensProvider.legend.tokenTypes, LEGEND);
    assert.equal(result.capabilities.semanticTokensProvider.full.delta, true);
    assert.equal(result.capabilities.renameProvider.prepareProvider, true);
    assert.ok(result.capabilities.completionProvider.triggerCharacters.includes('.'));
  });

  test('errors are published with codes and exact ranges, and cleared once fixed', async () => {
    const broken = PROGRAM.replace('order.customer.name', 'order.customer.nmae').replace('qty * 2', 'qtty * 2');
    const published = client.nextDiagnostics(URI, (d) => d.length > 0);
    await open(client, URI, broken);
    const diagnostics = await published;
    const codes = diagnostics.map((d) => d.code).sort();
    assert.deepEqual(codes, ['E001', 'E007']);
    const e007 = diagnostics.find((d) => d.code === 'E007');
    assert.deepEqual(e007.range, { start: { line: 3, character: 36 }, end: { line: 3, character: 40 } });
    assert.equal(e007.severity, 1);
    assert.equal(e007.source, 'constellation-lang');
    assert.match(e007.message, /Did you mean '\.name'\?/);
    // related information points at the declaration of the variable read
    assert.equal(e007.relatedInformation[0].location.range.start.line, 1);
    const e001 = diagnostics.find((d) => d.code === 'E001');
    assert.deepEqual(e001.range, { start: { line: 4, character: 8 }, end: { line: 4, character: 12 } });

    // quick fixes from the suggestions
    const actions = await rpc('textDocument/codeAction', { textDocument: { uri: URI }, range: e007.range, context: { diagnostics: [e007] } });
    const fix = actions.find((a: any) => a.title === "Change to 'name'");
    assert.ok(fix, JSON.stringify(actions));
    assert.deepEqual(fix.edit.changes[URI], [{ range: e007.range, newText: 'name' }]);
    const qtyFix = (await rpc('textDocument/codeAction', { textDocument: { uri: URI }, range: e001.range, context: { diagnostics: [e001] } })).find((a: any) => a.title === "Change to 'qty'");
    assert.ok(qtyFix);

    // incremental edits with ranges apply both fixes; then the list is empty
    const cleared = client.nextDiagnostics(URI, (d) => d.length === 0);
    await client.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: URI, version: 2 },
      contentChanges: [
        { range: e001.range, text: 'qty' },
        { range: e007.range, text: 'name' },
      ],
    });
    assert.deepEqual(await cleared, []);
  });

  test('a change without a range replaces the whole document', async () => {
    const published = client.nextDiagnostics(URI, (d) => d.length === 1);
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: URI, version: 3 }, contentChanges: [{ text: PROGRAM + 'broken = nothing\n' }] });
    assert.equal((await published)[0].code, 'E001');
    const cleared = client.nextDiagnostics(URI, (d) => d.length === 0);
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: URI, version: 4 }, contentChanges: [{ text: PROGRAM }] });
    await cleared;
  });

  test('completion after a dot lists the record fields', async () => {
    const result = await rpc('textDocument/completion', at(3, 27)); // after `order.`
    assert.deepEqual(result.items.map((i: any) => i.label).sort(), ['customer', 'id']);
    const nested = await rpc('textDocument/completion', at(3, 36)); // after `order.customer.`
    assert.deepEqual(nested.items.map((i: any) => [i.label, i.detail]).sort(), [['name', 'String'], ['tier', 'String']]);
  });

  test('completion inside `with` lists options, then their values', async () => {
    const uri = 'file:///work/options.cst';
    await open(client, uri, 'in t: String\nx = Uppercase(t) with \ny = Uppercase(t) with retry: 2, backoff: \nout x\n');
    const options = await client.connection.sendRequest<any>('textDocument/completion', { textDocument: { uri }, position: { line: 1, character: 22 } });
    const labels = options.items.map((i: any) => i.label);
    for (const o of ['retry', 'timeout', 'backoff', 'cache', 'priority', 'lazy']) assert.ok(labels.includes(o), o);
    assert.equal(options.items.find((i: any) => i.label === 'retry').insertText, 'retry: 3');
    const values = await client.connection.sendRequest<any>('textDocument/completion', { textDocument: { uri }, position: { line: 2, character: 41 } });
    assert.deepEqual(values.items.map((i: any) => i.label), ['fixed', 'linear', 'exponential']);
  });

  test('general completion offers variables, inputs, modules and keywords', async () => {
    const result = await rpc('textDocument/completion', at(5, 4)); // `out ` … start of `greeting`
    const byLabel = new Map(result.items.map((i: any) => [i.label, i]));
    assert.equal((byLabel.get('qty') as any).detail, 'input: Int');
    assert.ok(byLabel.has('total'));
    const upper = byLabel.get('Uppercase') as any;
    assert.match(upper.detail, /^Uppercase\(text: String\) -> String$/);
    assert.ok(byLabel.has('stdlib.math.add') || byLabel.has('add'));
  });

  test('hover shows types of names and expressions, and module documentation', async () => {
    const qty = await rpc('textDocument/hover', at(4, 9));
    assert.match(qty.contents.value, /\(input\) qty: Int/);
    const field = await rpc('textDocument/hover', at(3, 38));
    assert.match(field.contents.value, /\(field\) name: String/);
    const call = await rpc('textDocument/hover', at(3, 14));
    assert.match(call.contents.value, /### `Uppercase\(text: String\) -> String`/);
    assert.match(call.contents.value, /\*\*Version\*\*/);
    const product = await rpc('textDocument/hover', at(4, 12)); // the `*`
    assert.match(product.contents.value, /Int/);
    assert.equal(await rpc('textDocument/hover', at(7, 0)), null);
  });

  test('semantic tokens decode consistently with the legend', async () => {
    const tokens = await rpc('textDocument/semanticTokens/full', { textDocument: { uri: URI } });
    assert.equal(tokens.data.length % 5, 0);
    const decoded = decode(tokens.data, PROGRAM);
    const find = (text: string, type: string) => decoded.find((t) => t.text === text && t.type === type);
    assert.equal(find('Customer', 'type')?.modifiers, 3); // declaration + definition
    assert.equal(find('order', 'parameter')?.modifiers, 1);
    assert.ok(find('Uppercase', 'function'));
    assert.ok(find('name', 'property'));
    assert.ok(find('2', 'number'));
    assert.ok(find('greeting', 'variable'));
    // a delta against the previous result: no change, no edits
    const delta = await rpc('textDocument/semanticTokens/full/delta', { textDocument: { uri: URI }, previousResultId: tokens.resultId });
    assert.deepEqual(delta.edits, []);
    const range = await rpc('textDocument/semanticTokens/range', { textDocument: { uri: URI }, range: { start: { line: 4, character: 0 }, end: { line: 5, character: 0 } } });
    assert.deepEqual(decode(range.data, PROGRAM.split('\n').map((l, i) => (i < 4 ? '' : l)).join('\n')).map((t) => t.text), ['total', 'qty', '2']);
  });

  test('definition, references, rename and the outline', async () => {
    const def = await rpc('textDocument/definition', at(4, 9));
    assert.deepEqual(def.range, { start: { line: 2, character: 3 }, end: { line: 2, character: 6 } });
    const refs = await rpc('textDocument/references', { ...at(2, 4), context: { includeDeclaration: true } });
    assert.deepEqual(refs.map((r: any) => r.range.start.line), [2, 4]);
    const typeRefs = await rpc('textDocument/references', { ...at(0, 6), context: { includeDeclaration: false } });
    assert.deepEqual(typeRefs.map((r: any) => [r.range.start.line, r.range.start.character]), [[1, 31]]);
    const prepared = await rpc('textDocument/prepareRename', at(3, 2));
    assert.equal(prepared.placeholder, 'greeting');
    const edit = await rpc('textDocument/rename', { ...at(3, 2), newName: 'salutation' });
    assert.deepEqual(edit.changes[URI].map((e: any) => [e.range.start.line, e.newText]), [[3, 'salutation'], [5, 'salutation']]);
    await assert.rejects(rpc('textDocument/rename', { ...at(3, 2), newName: 'total' }), /already declared/);
    await assert.rejects(rpc('textDocument/rename', { ...at(3, 2), newName: 'if' }), /reserved/);
    const outline = await rpc('textDocument/documentSymbol', { textDocument: { uri: URI } });
    assert.deepEqual(outline.map((o: any) => o.name), ['Customer', 'order', 'qty', 'greeting', 'total', 'greeting', 'total']);
  });

  test('signature help inside a call', async () => {
    const uri = 'file:///work/sig.cst';
    await open(client, uri, 'in a: Int\nx = stdlib.math.add(a, \nout x\n');
    const help = await client.connection.sendRequest<any>('textDocument/signatureHelp', { textDocument: { uri }, position: { line: 1, character: 23 } });
    assert.equal(help.signatures[0].label, 'stdlib.math.add(a: Int, b: Int) -> Int');
    assert.equal(help.activeParameter, 1);
    const [start, end] = help.signatures[0].parameters[1].label;
    assert.equal(help.signatures[0].label.slice(start, end), 'b: Int');
  });

  test('executePipeline runs the open document; suspended and ill-typed runs are not successes', async () => {
    const ok = await rpc('constellation/executePipeline', { uri: URI, inputs: { order: { id: 7, customer: { name: 'ada', tier: 'gold' } }, qty: 4 } });
    assert.equal(ok.success, true, JSON.stringify(ok));
    assert.deepEqual(ok.outputs, { greeting: 'ADA', total: 8 });
    assert.equal(typeof ok.executionTimeMs, 'number');
    const suspended = await rpc('constellation/executePipeline', { uri: URI, inputs: { qty: 1 } });
    assert.equal(suspended.success, false);
    assert.match(suspended.error, /missing inputs order/);
    const illTyped = await rpc('constellation/executePipeline', { uri: URI, inputs: { order: { id: 1, customer: { name: 'a', tier: 'b' } }, qty: 'many' } });
    assert.equal(illTyped.success, false);
    assert.match(illTyped.error, /qty/);
    const missing = await rpc('constellation/executePipeline', { uri: 'file:///nope.cst', inputs: {} });
    assert.deepEqual([missing.success, missing.error], [false, 'Document not found']);
  });

  test('input schema, DAG structure, visualization and cache stats', async () => {
    const schema = await rpc('constellation/getInputSchema', { uri: URI });
    assert.equal(schema.success, true);
    assert.deepEqual(schema.inputs.map((i: any) => [i.name, i.line]), [['order', 2], ['qty', 3]]);
    assert.deepEqual(schema.inputs[1].type, { kind: 'primitive', name: 'Int' });
    assert.deepEqual(schema.inputs[0].type.fields[1].type, { kind: 'ref', name: 'Customer' });
    const structure = await rpc('constellation/getDagStructure', { uri: URI });
    assert.equal(structure.success, true);
    assert.deepEqual(structure.dag.declaredOutputs, ['greeting', 'total']);
    const modules = Object.values(structure.dag.modules) as any[];
    assert.ok(modules.some((m) => m.name === 'Uppercase' && m.consumes.text === 'String'));
    const viz = await rpc('constellation/getDagVisualization', { uri: URI, direction: 'LR' });
    assert.equal(viz.dag.metadata.layoutDirection, 'LR');
    assert.ok(viz.dag.nodes.every((n: any) => n.position && typeof n.position.x === 'number'));
    assert.ok(viz.dag.nodes.some((n: any) => n.kind === 'Output' && n.label === 'total'));
    assert.ok(viz.dag.metadata.bounds.maxX > viz.dag.metadata.bounds.minX);
    const stats = await rpc('constellation/getCacheStats', {});
    assert.equal(stats.cachingEnabled, true);
    assert.ok(stats.stats.hits + stats.stats.misses > 0);
  });

  test('step-through: start, next, continue, stop', async () => {
    const uri = 'file:///work/steps.cst';
    await open(client, uri, 'in t: String\na = Uppercase(t)\nb = Lowercase(a)\nc = TextLength(b)\nout c\n');
    const start = await rpc('constellation/stepStart', { uri, inputs: { t: 'Hello' } });
    assert.equal(start.success, true, JSON.stringify(start));
    assert.equal(start.totalBatches, 4);
    assert.equal(start.initialState.completedNodes.length >= 1, true);
    assert.equal(typeof start.initialState.completedNodes[0].nodeId, 'string');
    const first = await rpc('constellation/stepNext', { sessionId: start.sessionId });
    assert.equal(first.success, true);
    assert.equal(first.isComplete, false);
    assert.ok(first.state.completedNodes.some((n: any) => n.nodeName === 'a' && n.valuePreview === '"HELLO"'), JSON.stringify(first.state.completedNodes));
    const rest = await rpc('constellation/stepContinue', { sessionId: start.sessionId });
    assert.equal(rest.success, true);
    assert.deepEqual(rest.outputs, { c: 5 });
    assert.deepEqual(await rpc('constellation/stepStop', { sessionId: start.sessionId }), { success: true });
    assert.deepEqual(await rpc('constellation/stepStop', { sessionId: start.sessionId }), { success: false });
    const gone = await rpc('constellation/stepNext', { sessionId: start.sessionId });
    assert.deepEqual([gone.success, gone.error], [false, 'Session not found']);
    const bad = await rpc('constellation/stepStart', { uri, inputs: { t: 3 } });
    assert.equal(bad.success, false);
  });

  test('closing a document clears its diagnostics', async () => {
    const uri = 'file:///work/closing.cst';
    const published = client.nextDiagnostics(uri, (d) => d.length > 0);
    await open(client, uri, 'out nothing\n');
    await published;
    const cleared = client.nextDiagnostics(uri, (d) => d.length === 0);
    await client.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    await cleared;
    const after = await rpc('textDocument/completion', { textDocument: { uri }, position: { line: 0, character: 0 } });
    assert.deepEqual(after.items, []);
  });
});

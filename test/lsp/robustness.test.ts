import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { API_KEYS_ENV, KEYS } from '../helpers/http.js';
import { body, connectClient, frames, initialize, open, openSocket, startLspServer, waitFor, type LspServer } from '../helpers/lsp.js';

/**
 * What a careless or hostile client cannot do to the language server: malformed frames, unknown
 * methods and requests after shutdown get JSON-RPC errors while the socket stays usable; `exit`
 * ends that connection only; limits refuse oversized documents and messages; a thousand open
 * documents are released when the socket drops; a flooding client does not stop HTTP.
 */

/** A garbage collector to call (the test runner does not pass --expose-gc). */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('language server robustness', { timeout: 60_000 }, () => {
  let s: LspServer;
  before(async () => {
    s = await startLspServer({ CONSTELLATION_LSP_MAX_DOCUMENT_SIZE: '65536', CONSTELLATION_LSP_MAX_MESSAGE_SIZE: '131072' });
  });
  after(async () => {
    await s.close();
  });

  test('framing: bare JSON, split header and body, several messages per frame, non-ASCII lengths in bytes', async () => {
    const socket = await openSocket(s.url);
    const inbox = frames(socket);
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'constellation/getCacheStats' }));
    assert.deepEqual(body(await inbox.next()).id, 1);
    // a non-ASCII document: its length in bytes differs from its length in characters
    const open = JSON.stringify({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri: 'file:///ü.cst', languageId: 'constellation', version: 1, text: 'in t: String\nx = Uppercase("héllo wörld ✓")\nout x\n' } } });
    const hover = JSON.stringify({ jsonrpc: '2.0', id: 'h1', method: 'textDocument/hover', params: { textDocument: { uri: 'file:///ü.cst' }, position: { line: 1, character: 6 } } });
    socket.send(`Content-Length: ${Buffer.byteLength(open)}\r\n\r\n`);
    socket.send(open + `Content-Length: ${Buffer.byteLength(hover)}\r\n\r\n${hover}`);
    const replies: any[] = [];
    while (!replies.some((r) => r.id === 'h1')) replies.push(body(await inbox.next()));
    const h = replies.find((r) => r.id === 'h1');
    assert.match(h.result.contents.value, /Uppercase\(text: String\)/);
    socket.close();
  });

  test('malformed input gets ParseError / InvalidRequest / MethodNotFound / InvalidParams, and the socket stays up', async () => {
    const socket = await openSocket(s.url);
    const inbox = frames(socket);
    socket.send('{"jsonrpc":"2.0","id":1,"method":');
    socket.send('}');
    const parseError = body(await inbox.next());
    assert.deepEqual([parseError.id, parseError.error.code], [null, -32700]);
    socket.send(`Content-Length: 7\r\n\r\n{"x":1}`);
    assert.equal(body(await inbox.next()).error.code, -32600);
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'no/such' }));
    const unknown = body(await inbox.next());
    assert.deepEqual([unknown.id, unknown.error.code, unknown.error.message], [5, -32601, 'Method not found: no/such']);
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 6, method: 'textDocument/hover', params: { textDocument: { uri: 3 } } }));
    const invalid = body(await inbox.next());
    assert.equal(invalid.error.code, -32602);
    assert.match(invalid.error.message, /^Invalid params/);
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'constellation/getDagStructure' }));
    assert.equal(body(await inbox.next()).error.code, -32602);
    socket.send('   \r\n'); // keep-alive
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'constellation/getCacheStats' }));
    const ok = body(await inbox.next());
    assert.deepEqual([ok.id, ok.result.success], [8, true]);
    socket.close();
  });

  test('after shutdown requests are refused; exit closes that connection only', async () => {
    const a = await connectClient(s.url);
    const b = await connectClient(s.url);
    await initialize(a);
    await initialize(b);
    await a.connection.sendRequest('shutdown');
    await assert.rejects(a.connection.sendRequest('textDocument/hover', { textDocument: { uri: 'file:///x' }, position: { line: 0, character: 0 } }), (e: any) => e.code === -32600);
    const closed = new Promise<number>((r) => a.socket.once('close', (code) => r(code)));
    await a.connection.sendNotification('exit');
    assert.equal(await closed, 1000);
    // the other connection and the server are unaffected
    const stats = await b.connection.sendRequest<any>('constellation/getCacheStats');
    assert.equal(stats.success, true);
    const health = await fetch(`http://127.0.0.1:${s.port}/health`);
    assert.equal(health.status, 200);
    await b.close();
  });

  test('oversized documents and messages are refused without harm', async () => {
    const client = await connectClient(s.url);
    await initialize(client);
    const big = 'x = 1\n'.repeat(15_000) + 'out x\n'; // 90 kB: over the 64 kB document limit, under the message limit
    await open(client, 'file:///big.cst', big);
    await waitFor(() => client.messages.some((m) => m.method === 'window/showMessage'));
    const shown = client.messages.find((m) => m.method === 'window/showMessage');
    assert.ok(shown, 'the client is told');
    assert.match(shown!.params.message, /larger than the limit/);
    const completion = await client.connection.sendRequest<any>('textDocument/completion', { textDocument: { uri: 'file:///big.cst' }, position: { line: 0, character: 0 } });
    assert.deepEqual(completion.items, []);
    // a request over the message limit gets an error reply, the socket stays open
    await assert.rejects(client.connection.sendRequest('textDocument/hover', { textDocument: { uri: 'y'.repeat(150_000) }, position: { line: 0, character: 0 } }), (e: any) => e.code === -32600 && /too large/.test(e.message));
    const stats = await client.connection.sendRequest<any>('constellation/getCacheStats');
    assert.equal(stats.success, true);
    await client.close();
  });

  test('a thousand open documents are released when the socket drops', async () => {
    const gc = collector();
    const heap = async () => {
      for (let i = 0; i < 3; i++) {
        gc();
        await sleep(20);
      }
      return process.memoryUsage().heapUsed;
    };
    const client = await connectClient(s.url);
    await initialize(client);
    const line = 'in a: Int\nin b: Int\nc = a + b\nd = stdlib.math.multiply(c, 2)\n';
    const before = await heap();
    for (let i = 0; i < 1000; i++) await open(client, `file:///doc-${i}.cst`, `${line.repeat(20)}x${i} = "${'pad'.repeat(300)}"\nout d\n`);
    // every document is analysed (diagnostics published) before the measurement
    await waitFor(() => client.diagnostics.size === 1000, 30_000);
    // one past the limit of 1000 is refused
    await open(client, 'file:///one-too-many.cst', line);
    await waitFor(() => client.messages.some((m) => m.method === 'window/showMessage' && /open documents/.test(m.params.message)));
    const loaded = await heap();
    assert.equal(s.listener.connections, 1);
    client.socket.terminate();
    await waitFor(() => s.listener.connections === 0);
    const released = await heap();
    const held = loaded - before;
    assert.ok(held > 5 * 1024 * 1024, `1000 open documents should hold memory (held ${held} bytes)`);
    assert.ok(released - before < held / 4, `memory not returned: before ${before}, with documents ${loaded}, after the drop ${released}`);
  });

  test('step-through sessions of a dropped connection are stopped', async () => {
    const client = await connectClient(s.url);
    await initialize(client);
    await open(client, 'file:///steps.cst', 'in t: String\na = Uppercase(t)\nout a\n');
    const start = await client.connection.sendRequest<any>('constellation/stepStart', { uri: 'file:///steps.cst', inputs: { t: 'x' } });
    assert.equal(start.success, true);
    assert.ok(await s.server.context.executions.step(start.sessionId, 'state'));
    client.socket.terminate();
    await waitFor(() => s.listener.connections === 0);
    for (let i = 0; i < 100 && (await s.server.context.executions.step(start.sessionId, 'state')); i++) await sleep(10);
    assert.equal(await s.server.context.executions.step(start.sessionId, 'state'), undefined);
  });

  test('a flooding client does not stop HTTP requests', async () => {
    const socket = await openSocket(s.url);
    let flooding = true;
    const flood = (async () => {
      let i = 0;
      while (flooding) {
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: i++, method: 'textDocument/hover', params: { textDocument: { uri: 'file:///none' }, position: { line: 0, character: 0 } } }));
        if (i % 200 === 0) await sleep(0);
      }
    })();
    const latencies: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const r = await fetch(`http://127.0.0.1:${s.port}/health/live`);
      assert.equal(r.status, 200);
      latencies.push(performance.now() - started);
    }
    flooding = false;
    await flood;
    socket.terminate();
    latencies.sort((a, b) => a - b);
    assert.ok(latencies[10]! < 500, `median HTTP latency under flood ${latencies[10]} ms`);
  });
});

describe('language server behind API keys', { timeout: 30_000 }, () => {
  let s: LspServer;
  before(async () => {
    s = await startLspServer({ CONSTELLATION_API_KEYS: API_KEYS_ENV });
  });
  after(async () => {
    await s.close();
  });

  test('the upgrade needs a key (header, query or subprotocol); running needs the Execute role', async () => {
    await assert.rejects(openSocket(s.url), /401/);
    const readonly = await connectClient(`${s.url}?token=${KEYS.readonly}`);
    await open(readonly, 'file:///r.cst', 'in t: String\nout t\n');
    const schema = await readonly.connection.sendRequest<any>('constellation/getInputSchema', { uri: 'file:///r.cst' });
    assert.equal(schema.success, true);
    await assert.rejects(readonly.connection.sendRequest('constellation/executePipeline', { uri: 'file:///r.cst', inputs: { t: 'x' } }), /Execute/);
    await readonly.close();
    const executor = await connectClient(s.url, { protocols: KEYS.execute });
    await open(executor, 'file:///r.cst', 'in t: String\nout t\n');
    const run = await executor.connection.sendRequest<any>('constellation/executePipeline', { uri: 'file:///r.cst', inputs: { t: 'x' } });
    assert.deepEqual(run.outputs, { t: 'x' });
    await executor.close();
    const admin = await connectClient(s.url, { headers: { authorization: `Bearer ${KEYS.admin}` } });
    assert.equal((await admin.connection.sendRequest<any>('constellation/getCacheStats')).success, true);
    await admin.close();
  });
});

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

/**
 * `constellation lsp --stdio`, as Neovim or Helix start it: a real process, the protocol on its
 * stdin/stdout, the local module registry. The smoke test of the WebSocket suite, then the exit
 * codes the LSP specification asks for.
 */

const CLI = fileURLToPath(new URL('../../bin/constellation.js', import.meta.url));

function start(env: Record<string, string> = {}): { child: ChildProcess; connection: MessageConnection; exited: Promise<number | null>; notifications: { method: string; params: any }[] } {
  const child = spawn(process.execPath, [CLI, 'lsp', '--stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, CONSTELLATION_LSP_DEBOUNCE: '5ms', CONSTELLATION_WORKERS: '1', ...env },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const notifications: { method: string; params: any }[] = [];
  connection.onNotification((method, params: any) => {
    notifications.push({ method, params });
  });
  connection.listen();
  return { child, connection, exited, notifications };
}

async function waitFor(predicate: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('constellation lsp --stdio', { timeout: 60_000 }, () => {
  test('diagnostics, completion, hover and a run over stdio; shutdown then exit ends with 0', async () => {
    const { connection, exited, notifications } = start();
    const init = await connection.sendRequest<any>('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
    assert.equal(init.capabilities.textDocumentSync.change, 2);
    await connection.sendNotification('initialized', {});
    const uri = 'file:///tmp/stdio.cst';
    await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'constellation', version: 1, text: 'in rec: { word: String }\nx = Uppercase(rec.wrod)\nout x\n' } });
    await waitFor(() => notifications.some((n) => n.method === 'textDocument/publishDiagnostics' && n.params.diagnostics.length > 0));
    const diagnostic = notifications.find((n) => n.method === 'textDocument/publishDiagnostics')!.params.diagnostics[0];
    assert.equal(diagnostic.code, 'E007');
    assert.deepEqual(diagnostic.range, { start: { line: 1, character: 18 }, end: { line: 1, character: 22 } });
    const fields = await connection.sendRequest<any>('textDocument/completion', { textDocument: { uri }, position: { line: 1, character: 18 } });
    assert.deepEqual(fields.items.map((i: any) => i.label), ['word']);
    await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: diagnostic.range, text: 'word' }] });
    await waitFor(() => notifications.filter((n) => n.method === 'textDocument/publishDiagnostics').at(-1)!.params.diagnostics.length === 0);
    const hover = await connection.sendRequest<any>('textDocument/hover', { textDocument: { uri }, position: { line: 0, character: 4 } });
    assert.match(hover.contents.value, /\(input\) rec: \{ word: String \}/);
    const run = await connection.sendRequest<any>('constellation/executePipeline', { uri, inputs: { rec: { word: 'stdio' } } });
    assert.deepEqual(run.outputs, { x: 'STDIO' });
    await connection.sendRequest('shutdown');
    await connection.sendNotification('exit');
    assert.equal(await exited, 0);
    connection.dispose();
  });

  test('a client that goes away without shutdown: the server ends with 1', async () => {
    const { child, connection, exited } = start();
    await connection.sendRequest('initialize', { processId: null, rootUri: null, capabilities: {} });
    child.stdin!.end();
    assert.equal(await exited, 1);
    connection.dispose();
  });

  test('the client process dies: the server notices and ends', async () => {
    const editor = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    const { connection, exited } = start({ CONSTELLATION_LSP_CLIENT_CHECK: '50ms' });
    await connection.sendRequest('initialize', { processId: editor.pid, rootUri: null, capabilities: {} });
    editor.kill('SIGKILL');
    assert.equal(await exited, 1);
    connection.dispose();
  });
});

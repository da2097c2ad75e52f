import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from '../../server/logger.js';
import { LogCapture, request } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

/**
 * Log lines carry the fields of the operations guide (`@timestamp`, `@version`, `level`,
 * `logger_name`, `thread_name`, `message`, and `requestId` / `executionId` / `pipelineName` where
 * they apply); TRACE adds a line per request and per compilation, DEBUG a line per execution and
 * per module call; at INFO a request writes nothing.
 */

const RUN = { source: 'in text: String\nr = Uppercase(text)\nout r', inputs: { text: 'hi' } };

test('JSON lines: the fields, and what TRACE and DEBUG add per request, compile, execution and module call', async () => {
  const logs = new LogCapture();
  const srv = await startServer({ server: { logger: logs.logger('trace') } });
  try {
    const r = await request(srv.port, '/run', { method: 'POST', body: RUN, headers: { 'x-request-id': 'log-1' } });
    assert.equal(r.status, 200, r.text);
  } finally {
    await srv.close();
  }
  const lines = logs.lines;
  for (const l of lines) {
    assert.match(String(l['@timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(l['@version'], '1');
    assert.ok(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].includes(String(l['level'])), String(l['level']));
    assert.equal(l['logger_name'], 'constellation.server');
    assert.equal(l['thread_name'], 'main');
    assert.equal(typeof l['message'], 'string');
    assert.equal(l['msg'], undefined);
  }
  const find = (message: string) => lines.find((l) => l['message'] === message);
  const req = lines.find((l) => l['message'] === 'request' && l['requestId'] === 'log-1');
  assert.ok(req, 'a TRACE line for the request');
  assert.deepEqual([req['level'], req['route'], req['status']], ['TRACE', '/run', 200]);
  assert.equal(find('compiled')?.['level'], 'TRACE');
  const exec = find('execution finished');
  assert.ok(exec);
  assert.equal(exec['level'], 'DEBUG');
  assert.equal(exec['pipelineName'], 'ephemeral');
  assert.match(String(exec['executionId']), /^[0-9a-f-]{36}$/);
  const call = find('module call completed');
  assert.ok(call);
  assert.deepEqual([call['level'], call['module'], call['executionId']], ['DEBUG', 'Uppercase', exec['executionId']]);
  assert.ok(find('stopped'), 'lifecycle lines at INFO');
});

test('at INFO a request writes nothing', async () => {
  const logs = new LogCapture();
  const srv = await startServer({ server: { logger: logs.logger('info') } });
  try {
    const before = logs.lines.length;
    for (let i = 0; i < 3; i++) assert.equal((await request(srv.port, '/run', { method: 'POST', body: RUN })).status, 200);
    assert.equal(logs.lines.length, before);
  } finally {
    await srv.close();
  }
});

test('the readable format: time, thread, level, logger, message, fields', () => {
  let out = '';
  const sink = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
  createLogger({ level: 'info', format: 'pretty', destination: sink }).info({ port: 8080 }, 'listening');
  assert.match(out, /^\d\d:\d\d:\d\d\.\d{3} \[main\] INFO  constellation\.server - listening port=8080\n$/);
});

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ApiErrorCodes, CompileErrorCodes, CompileWarningCodes, ERROR_CODES, formatError, httpStatus, isErrorCode, LspErrorCodes, RuntimeErrorCodes } from '../../runtime/errors.js';
import { errorReply } from '../../server/http/error-reply.js';

/**
 * The error registry (runtime/error-codes.ts) is the only place codes are written: every code
 * has one status and one template, and no source file outside it spells a code of an error
 * reply by hand.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

describe('error registry', () => {
  test('the four tables share no code, and every code has an HTTP status and a template', () => {
    const tables = [CompileErrorCodes, CompileWarningCodes, RuntimeErrorCodes, ApiErrorCodes, LspErrorCodes].map((t) => Object.keys(t));
    const all = tables.flat();
    assert.equal(new Set(all).size, all.length, 'a code appears in two tables');
    assert.equal(Object.keys(ERROR_CODES).length, all.length);
    for (const code of all) {
      assert.ok(isErrorCode(code));
      const status = httpStatus(code as never);
      assert.ok(Number.isInteger(status) && status >= 200 && status <= 599, `${code}: ${status}`);
      assert.ok(ERROR_CODES[code as keyof typeof ERROR_CODES].message.length > 0, code);
    }
    assert.equal(isErrorCode('ResumeConflict'), false, 'one name per condition: ResumeInProgress');
  });

  test('templates are filled by name; a missing parameter stays visible', () => {
    assert.equal(formatError('ResumeInProgress', { id: 'e-1' }), "A resume operation is already in progress for execution 'e-1'");
    assert.equal(formatError('Forbidden', { role: 'ReadOnly' }), "Role 'ReadOnly' does not permit {method} requests");
    assert.equal(formatError('ShuttingDown'), 'Server is shutting down');
  });

  test('an error reply takes its status from the code', () => {
    for (const code of Object.keys(ApiErrorCodes) as (keyof typeof ApiErrorCodes)[]) {
      const reply = errorReply(code, 'm', 'r');
      assert.equal(reply.status, ApiErrorCodes[code].status, code);
      assert.deepEqual(reply.body, { error: code, message: 'm', requestId: 'r' });
    }
    assert.equal(errorReply('QueueFull').status, 429);
    assert.equal(errorReply('ResumeInProgress').status, 409);
  });

  test('no source file outside the registry writes an error code by hand', () => {
    const offenders: string[] = [];
    for (const dir of ['server', 'runtime', 'actors', 'bin']) {
      for (const file of sources(join(ROOT, dir))) {
        if (file.endsWith('error-codes.ts')) continue;
        readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
          // `{ error: 'Code', … }` bodies and `json(4xx, { error: …` replies are built by errorReply
          if (/\berror:\s*'[A-Z][A-Za-z]+'/.test(line)) offenders.push(`${file.slice(ROOT.length)}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    assert.deepEqual(offenders, []);
  });
});

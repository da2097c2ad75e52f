import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import type { FunctionSignature } from '../../runtime/compiler/registry.js';
import { Engine } from '../../runtime/engine/engine.js';
import type { RemoteCallContext, RemoteModule } from '../../runtime/engine/module-registry.js';
import { ConstellationError } from '../../runtime/errors.js';
import { defineModule } from '../../runtime/modules/define.js';
import { T } from '../../runtime/types/type.js';
import type { Value } from '../../runtime/values/value.js';

/**
 * The engine's registry at run time: remote modules (what the provider port registers) come
 * and go; they compile and run like local modules, through the same node actor (options,
 * breaker, cache), with the execution's id and deadline; a withdrawn module never falls back to
 * a local module of the same short name.
 */

function signature(namespace: string, name: string, returns = T.String): FunctionSignature {
  return { name, namespace, params: [{ name: 'text', type: T.String }], returns, outputField: 'output', module: `${namespace}.${name}`, kind: 'module', version: '1.0.0', description: '' };
}

/** A remote module answering in-process: what it is called with is recorded. */
function remote(namespace: string, name: string, answer: (args: readonly Value[], call: RemoteCallContext) => Promise<Value>, timeoutMs?: number): RemoteModule & { calls: RemoteCallContext[] } {
  const calls: RemoteCallContext[] = [];
  return {
    id: `${namespace}.${name}`,
    version: '1.0.0',
    signature: signature(namespace, name),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    calls,
    call: (args, call) => {
      calls.push(call);
      return answer(args, call);
    },
  };
}

describe('registering and withdrawing at run time', () => {
  test('a remote module compiles and runs; withdrawn, compilations fail and running nodes fail ModuleNotFound', async () => {
    const engine = new Engine();
    const shout = remote('ext', 'Shout', async ([t]) => String(t).toUpperCase() + '!');
    engine.registerRemote(shout);
    const compiled = engine.compile('in t: String\nx = ext.Shout(t)\nout x');
    assert.ok(compiled.dag, JSON.stringify(compiled.diagnostics));
    const result = await engine.run(compiled.dag, { t: 'hi' });
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.outputs, { x: 'HI!' });
    assert.equal(shout.calls[0]!.executionId, result.executionId);
    assert.equal(shout.calls[0]!.attempt, 1);
    assert.equal(shout.calls[0]!.structuralHash, result.structuralHash.replace(/^sha256:/, ''));

    assert.equal(engine.unregister('ext.Shout'), true);
    assert.equal(engine.unregister('ext.Shout'), false);
    assert.ok(!engine.compile('in t: String\nx = ext.Shout(t)\nout x').dag);
    const stale = await engine.run(compiled.dag, { t: 'hi' });
    assert.equal(stale.status, 'failed');
    assert.equal(stale.errors[0]!.code, 'ModuleNotFound');
    await engine.close();
  });

  test('a withdrawn remote module does not resolve to a local module of the same short name', async () => {
    const local = defineModule({ name: 'Shout', input: z.object({ text: z.string() }), output: z.object({ out: z.string() }), placement: 'front', run: ({ text }) => ({ out: `local ${text}` }) });
    const engine = new Engine({ modules: [{ module: local }] });
    engine.registerRemote(remote('ext', 'Shout', async () => 'remote'));
    const dag = engine.compile('x = ext.Shout("a")\nout x').dag!;
    assert.deepEqual((await engine.run(dag, {})).outputs, { x: 'remote' });
    engine.unregister('ext.Shout');
    const r = await engine.run(dag, {});
    assert.equal(r.status, 'failed');
    assert.equal(r.errors[0]!.code, 'ModuleNotFound');
    // the local one still answers its own name
    assert.deepEqual((await engine.run(engine.compile('x = Shout("a")\nout x').dag!, {})).outputs, { x: 'local a' });
    await engine.close();
  });

  test('registering changes the registry hash, so a cached compilation is not reused across a schema change', async () => {
    const engine = new Engine();
    engine.registerRemote(remote('ext', 'Len', async ([t]) => String(t)));
    const before = engine.functions.hash();
    const src = 'in t: String\nx = ext.Len(t)\nout x';
    assert.ok(engine.compile(src).dag);
    engine.registerRemote({ ...remote('ext', 'Len', async () => 3), signature: { ...signature('ext', 'Len', T.Int), params: [{ name: 'text', type: T.Int }] } });
    assert.notEqual(engine.functions.hash(), before);
    const again = engine.compile(src);
    assert.ok(!again.dag, 'a String argument no longer fits the new Int parameter');
    await engine.close();
  });
});

describe('remote calls go through the node actor', () => {
  test('the module\'s own timeout applies without a timeout option; the option wins; the deadline reaches the call', async () => {
    const engine = new Engine({ defaultModuleTimeoutMs: 60_000 });
    const slow = remote('ext', 'Slow', (_args, call) => new Promise((resolve) => setTimeout(() => resolve('late'), 200).unref()), 50);
    engine.registerRemote(slow);
    const plain = await engine.run(engine.compile('x = ext.Slow("a")\nout x').dag!, {});
    assert.equal(plain.status, 'failed');
    assert.equal(plain.errors[0]!.code, 'ModuleTimeout');
    const started = Date.now();
    const withOption = await engine.run(engine.compile('x = ext.Slow("a") with timeout: 1s\nout x').dag!, {});
    assert.equal(withOption.status, 'completed');
    // the call knew its deadline: about a second from its start
    const deadline = slow.calls[1]!.deadline!;
    assert.ok(deadline >= started + 900 && deadline <= Date.now() + 1000, String(deadline - started));
    await engine.close();
  });

  test('the execution\'s own time limit cuts the deadline', async () => {
    const engine = new Engine({ defaultModuleTimeoutMs: 60_000 });
    const echo = remote('ext', 'Echo', async ([t]) => t);
    engine.registerRemote(echo);
    const started = Date.now();
    await engine.run(engine.compile('x = ext.Echo("a") with timeout: 30s\nout x').dag!, {}, { timeoutMs: 500 });
    assert.ok(echo.calls[0]!.deadline! <= started + 600);
    await engine.close();
  });

  test('retry retries ordinary failures; a failure marked not retryable ends the attempts', async () => {
    const engine = new Engine();
    let n = 0;
    engine.registerRemote(remote('ext', 'Flaky', async () => {
      n++;
      if (n < 3) throw new ConstellationError('ModuleFailed', `failure ${n}`);
      return 'ok';
    }));
    const ok = await engine.run(engine.compile('x = ext.Flaky("a") with retry: 3\nout x').dag!, {});
    assert.deepEqual(ok.outputs, { x: 'ok' });
    let m = 0;
    engine.registerRemote(remote('ext', 'Wrong', async () => {
      m++;
      throw new ConstellationError('InvalidModuleOutput', 'wrong type', { retryable: false });
    }));
    const wrong = await engine.run(engine.compile('x = ext.Wrong("a") with retry: 3\nout x').dag!, {});
    assert.equal(wrong.status, 'failed');
    assert.equal(wrong.errors[0]!.code, 'InvalidModuleOutput');
    assert.equal(m, 1);
    await engine.close();
  });

  test('the circuit breaker counts remote failures and opens', async () => {
    const engine = new Engine();
    let calls = 0;
    engine.registerRemote(remote('ext', 'Down', async () => {
      calls++;
      throw new ConstellationError('ProviderUnavailable', 'unreachable');
    }));
    const dag = engine.compile('x = ext.Down("a")\nout x').dag!;
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) codes.push((await engine.run(dag, {})).errors[0]!.code);
    assert.ok(codes.includes('CircuitOpen'), codes.join(','));
    assert.ok(calls < 8);
    await engine.close();
  });

  test('cancelling the execution cancels the call', async () => {
    const engine = new Engine();
    let cancelled: unknown;
    engine.registerRemote({
      ...remote('ext', 'Hang', async () => 'x'),
      call: (_args, _call, token) => new Promise((_, reject) => token.onCancel((reason) => {
        cancelled = reason;
        reject(reason);
      })),
    });
    const pending = engine.run(engine.compile('x = ext.Hang("a")\nout x').dag!, {}, { onStart: (exec) => setTimeout(() => exec.cancel('cancelled'), 20) });
    const r = await pending;
    assert.equal(r.status, 'cancelled');
    assert.ok(cancelled !== undefined);
    await engine.close();
  });
});

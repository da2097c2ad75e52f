import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { REJECTED, specialisedCheck } from '../../runtime/codegen/zod-check.js';
import { prepare, invokeModule } from '../../runtime/modules/call.js';
import { defineModule } from '../../runtime/modules/define.js';
import type { ModuleContext } from '../../runtime/modules/define.js';
import { CompileRequest, ExecuteRequest, ResumeRequest, RunRequest } from '../../server/schemas.js';
import { prng, type Rng } from '../helpers/prng.js';
import { HOSTILE_NAMES } from './values-fuzz.js';

/**
 * zod schemas compiled to specialised checks (runtime/codegen/zod-check.ts): whatever a check
 * accepts, zod accepts with the same output (same keys in the same order); what it does not
 * accept, zod judges — so errors are zod's own. Seeded fuzz over the request envelopes and
 * module-shaped schemas, hostile keys included.
 */

const pick = <X>(rng: Rng, items: readonly X[]): X => items[Math.floor(rng() * items.length)]!;

const SCHEMAS: Record<string, z.ZodType> = {
  ExecuteRequest, RunRequest, CompileRequest, ResumeRequest,
  user: z.object({ user: z.object({ id: z.int(), name: z.string() }) }),
  mixed: z.object({ a: z.number(), b: z.boolean().optional(), c: z.array(z.string()), d: z.string().nullable(), e: z.literal('x'), f: z.number().int() }),
  refined: z.object({ s: z.string().min(2), n: z.int().positive(), r: z.record(z.string(), z.int()), u: z.union([z.string(), z.int()]), d: z.int().default(3) }),
  hostile: z.object(Object.fromEntries(HOSTILE_NAMES.filter((n) => n !== '__proto__').map((n) => [n, z.string().optional()]))),
  withProto: z.object({ ['__proto__']: z.string(), x: z.int() }),
  strict: z.object({ a: z.int() }).strict(),
};

const LEAVES: unknown[] = [0, -0, 1, 1.5, -7, 2 ** 53, NaN, Infinity, '', 'x', 'ab', true, false, null, undefined, [], {}, ['a', 'b'], { a: 1 }, 'trivial'];

function randomValueFor(rng: Rng, schema: z.ZodType, depth = 0): unknown {
  const def = (schema as unknown as { _zod: { def: { type: string; [k: string]: unknown } } })._zod.def;
  if (depth > 4 || rng() < 0.08) return pick(rng, LEAVES);
  switch (def.type) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(def.shape as Record<string, z.ZodType>)) {
        if (rng() < 0.1) continue;
        Object.defineProperty(o, k, { value: rng() < 0.05 ? undefined : randomValueFor(rng, s, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      if (rng() < 0.2) o['unknownKey'] = 1;
      return o;
    }
    case 'array': return Array.from({ length: Math.floor(rng() * 3) }, () => randomValueFor(rng, def.element as z.ZodType, depth + 1));
    case 'optional': case 'nullable': case 'default': return rng() < 0.2 ? (def.type === 'nullable' ? null : undefined) : randomValueFor(rng, def.innerType as z.ZodType, depth + 1);
    case 'string': return pick(rng, ['', 'a', 'abc', 'trivial', 'x']);
    case 'number': return pick(rng, [0, 3, -2, 1.5, 2 ** 53, 7]);
    case 'boolean': return rng() < 0.5;
    case 'literal': return pick(rng, [...(def.values as unknown[]), 'y']);
    case 'custom': return pick(rng, [{}, { x: 41 }, [], null, 'text']);
    case 'record': return { a: 1, b: rng() < 0.5 ? 2 : 'no' };
    default: return pick(rng, LEAVES);
  }
}

describe('specialised zod checks', () => {
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    it(`${name}: accepts only what zod accepts, with zod's output`, () => {
      const check = specialisedCheck(schema);
      const rng = prng(name.length * 31 + 7);
      let fast = 0;
      for (let i = 0; i < 3000; i++) {
        const value = randomValueFor(rng, schema);
        const out = check(value);
        if (out === REJECTED) continue;
        fast++;
        const zod = schema.safeParse(value);
        assert.ok(zod.success, `${name}: accepted what zod refuses: ${JSON.stringify(value)}`);
        assert.deepStrictEqual(out, zod.data, name);
        if (typeof out === 'object' && out !== null) assert.deepStrictEqual(Object.keys(out), Object.keys(zod.data as object), `${name}: key order`);
      }
      if (name !== 'withProto' && name !== 'strict') assert.ok(fast > 0, `${name}: the specialised check never accepted`);
    });
  }

  it('the request envelopes of the execution routes are accepted without zod', () => {
    assert.deepStrictEqual(specialisedCheck(ExecuteRequest)({ ref: 'trivial', inputs: { x: 41 }, other: 1 }), { ref: 'trivial', inputs: { x: 41 } });
    assert.deepStrictEqual(specialisedCheck(RunRequest)({ source: 'in x: Int\nout x', inputs: { x: 1 } }), { source: 'in x: Int\nout x', inputs: { x: 1 } });
    assert.equal(specialisedCheck(ExecuteRequest)({ ref: 5 }), REJECTED);
    assert.equal(specialisedCheck(ExecuteRequest)({ inputs: [] }), REJECTED);
  });

  it('hostile keys never run as code', () => {
    const g = globalThis as { __pwned?: number };
    delete g.__pwned;
    const shape = Object.fromEntries(HOSTILE_NAMES.map((n) => [n, z.int()]));
    const check = specialisedCheck(z.object(shape));
    check(Object.fromEntries(HOSTILE_NAMES.map((n) => [n, 1])));
    assert.equal(g.__pwned, undefined);
  });
});

describe('module boundaries with specialised checks', () => {
  const ctx = {} as ModuleContext;
  const returns = (output: unknown) =>
    prepare(defineModule({ name: 'Lookup', placement: 'front', input: z.object({ id: z.int() }), output: z.object({ user: z.object({ id: z.int(), name: z.string() }) }), run: () => output as never }));

  it('a well-shaped output passes, stripped of unknown fields as zod does', () => {
    assert.deepStrictEqual(invokeModule(returns({ user: { id: 1, name: 'a', extra: true } }), [1], ctx), { id: 1, name: 'a' });
  });

  it('a module returning the wrong shape fails its node with zod\'s message', () => {
    assert.throws(() => invokeModule(returns({ user: { id: '1', name: 'a' } }), [1], ctx), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'InvalidModuleOutput');
      assert.match(e.message, /^Lookup: output does not match its schema: user\.id: Invalid input: expected (int|number), received string$/);
      return true;
    });
  });

  it('an input the schema refuses fails with zod\'s message', () => {
    const m = prepare(defineModule({ name: 'Short', placement: 'front', input: z.object({ s: z.string().max(2) }), output: z.object({ n: z.int() }), run: ({ s }) => ({ n: s.length }) }));
    assert.equal(invokeModule(m, ['ab'], ctx), 2);
    assert.throws(() => invokeModule(m, ['abc'], ctx), (e: Error & { code?: string }) => e.code === 'InvalidModuleInput' && /s: Too big/.test(e.message));
  });
});

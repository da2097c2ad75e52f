import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseExecutorUrl, isReserved, namespaceProblem } from '../../server/provider/namespaces.js';
import { signatureOf } from '../../server/provider/provider-module.js';
import { decodeTypeSchema, encodeTypeSchema, fromEngineType, SchemaError, toEngineType, typeJson, wireText, type WireType } from '../../server/provider/type-schema.js';
import { decodeValue, encodeValue, valueFromBytes, WireValueError, type WireProblem } from '../../server/provider/wire-values.js';
import { printType, T } from '../../runtime/types/type.js';
import { Some, Tagged, ValueMap } from '../../runtime/values/value.js';

/** The provider wire's types and values, both ways, without a network. */

const S = { primitive: { kind: 0 } };
const I = { primitive: { kind: 1 } };
const F = { primitive: { kind: 2 } };
const B = { primitive: { kind: 3 } };

describe('TypeSchema ↔ engine types', () => {
  test('every kind converts, record fields sorted, unions keep their variant order', () => {
    const schema = {
      record: {
        fields: {
          zeta: { list: { elementType: S } },
          alpha: { map: { keyType: S, valueType: F } },
          mid: { option: { innerType: B } },
          choice: { union: { variants: [I, S] } },
        },
      },
    };
    const w = decodeTypeSchema(schema, 'input');
    assert.equal(wireText(w), 'CProduct("alpha":CMap(CString,CFloat),"choice":CUnion(CInt|CString),"mid":COptional(CBoolean),"zeta":CList(CString))');
    assert.equal(printType(toEngineType(w)), '{ alpha: Map<String, Float>, choice: Int | String, mid: Optional<Boolean>, zeta: List<String> }');
    // and back: the same schema (as a provider would send it)
    assert.equal(wireText(decodeTypeSchema(encodeTypeSchema(w), 'again')), wireText(w));
  });

  test('STRING is kind 0: an empty PrimitiveType (how proto3 writes it) is String', () => {
    assert.equal(toEngineType(decodeTypeSchema({ primitive: {} }, 'x')), T.String);
    assert.equal(toEngineType(decodeTypeSchema({ type: 'primitive', primitive: {} }, 'x')), T.String);
  });

  test('schemas that do not convert name the problem and where it is', () => {
    const cases: [unknown, string][] = [
      [undefined, 'input: no type set'],
      [{}, 'input: no type set'],
      [{ list: {} }, 'input: list without element_type'],
      [{ record: { fields: { a: { list: { elementType: {} } } } } }, 'input.a[]: no type set'],
      [{ map: { valueType: S } }, 'input: map without key_type'],
      [{ option: {} }, 'input: option without inner_type'],
      [{ union: { variants: [] } }, 'input: union without variants'],
      [{ union: { variants: [S, { primitive: { kind: 4 } }] } }, 'input|variant1: unknown primitive kind 4'],
      [{ record: { fields: { '': S } } }, 'input: a record field has an empty name'],
    ];
    for (const [schema, message] of cases) {
      assert.throws(() => decodeTypeSchema(schema as never, 'input'), (e: unknown) => e instanceof SchemaError && e.message.startsWith(message), message);
    }
    let deep: unknown = S;
    for (let i = 0; i < 5; i++) deep = { list: { elementType: deep } };
    assert.throws(() => decodeTypeSchema(deep as never, 'input', 4), /nested deeper than 4 levels/);
  });

  test('engine types go to the wire; Seq as list; types with no wire form are refused', () => {
    assert.equal(wireText(fromEngineType(T.seq(T.Int), 'x')), 'CList(CInt)');
    assert.equal(wireText(fromEngineType(T.union([T.String, T.Int]), 'x')), 'CUnion(CInt|CString)');
    assert.throws(() => fromEngineType(T.fn([T.Int], T.Int), 'out.f'), /out\.f: type \(Int\) => Int has no form on the provider wire/);
  });

  test('the signature: record fields as parameters by name, any other input as one parameter named input', () => {
    const record = signatureOf('ml', { name: 'Score', input: decodeTypeSchema({ record: { fields: { text: S, lang: S } } }, 'i'), output: decodeTypeSchema(F, 'o'), version: '1.0.0', description: '', shape: '' });
    assert.deepEqual(record.params.map((p) => p.name), ['lang', 'text']);
    assert.equal(record.outputField, 'output');
    assert.equal(record.module, 'ml.Score');
    const plain = signatureOf('ml', { name: 'Len', input: decodeTypeSchema(S, 'i'), output: decodeTypeSchema({ record: { fields: { n: I } } }, 'o'), version: '1.0.0', description: '', shape: '' });
    assert.deepEqual(plain.params.map((p) => p.name), ['input']);
    assert.equal(plain.outputField, '*');
  });
});

describe('tagged values', () => {
  const w = decodeTypeSchema(
    { record: { fields: { n: I, tags: { list: { elementType: S } }, m: { map: { keyType: S, valueType: I } }, o: { option: { innerType: S } }, u: { union: { variants: [S, I] } } } } },
    'x',
  );

  test('encode then decode is the identity, in the wire form of the runtime spec', () => {
    const value = { n: 3, tags: ['a', 'b'], m: new ValueMap([['k', 1]]), o: null, u: new Tagged('Int', 7) };
    const json = encodeValue(value, w) as any;
    assert.deepEqual(json.value.m, { tag: 'CMap', value: [{ key: { tag: 'CString', value: 'k' }, value: { tag: 'CInt', value: 1 } }], keysType: { tag: 'CString' }, valuesType: { tag: 'CInt' } });
    assert.deepEqual(json.value.o, { tag: 'CNone', innerType: { tag: 'CString' } });
    assert.deepEqual(json.value.u, { tag: 'CUnion', value: { tag: 'CInt', value: 7 }, structure: { variant0: { tag: 'CString' }, variant1: { tag: 'CInt' } }, unionTag: 'variant1' });
    assert.deepEqual(json.structure, (typeJson(w) as any).structure);
    const problems: WireProblem[] = [];
    const back = decodeValue(JSON.parse(JSON.stringify(json)), w, '', problems) as any;
    assert.deepEqual(problems, []);
    assert.equal(back.n, 3);
    assert.deepEqual(back.tags, ['a', 'b']);
    assert.deepEqual([...back.m], [['k', 1]]);
    assert.equal(back.o, null);
    assert.ok(back.u instanceof Tagged && back.u.tag === 'Int' && back.u.value === 7);
  });

  test('decoding is lenient where it costs nothing: CSeq for a list, CInt for a Float, a bare value for an option, an absent optional field', () => {
    const lw: WireType = decodeTypeSchema({ record: { fields: { xs: { list: { elementType: F } }, o: { option: { innerType: I } } } } }, 'x');
    const problems: WireProblem[] = [];
    const v = decodeValue({ tag: 'CProduct', value: { xs: { tag: 'CSeq', value: [{ tag: 'CInt', value: 1 }, { tag: 'CFloat', value: 1.5 }] } } }, lw, '', problems) as any;
    assert.deepEqual(problems, []);
    assert.deepEqual(v.xs, [1, 1.5]);
    assert.equal(v.o, null);
    const some = decodeValue({ tag: 'CInt', value: 4 }, decodeTypeSchema({ option: { innerType: I } }, 'o'), '', problems);
    assert.equal(some, 4);
    const nested = decodeValue({ tag: 'CSome', value: { tag: 'CNone', innerType: { tag: 'CInt' } } }, decodeTypeSchema({ option: { innerType: { option: { innerType: I } } } }, 'o'), '', problems);
    assert.ok(nested instanceof Some && nested.value === null);
  });

  test('union tags named by the provider are mapped through the value\'s structure', () => {
    const u = decodeTypeSchema({ union: { variants: [S, I] } }, 'u');
    const problems: WireProblem[] = [];
    const v = decodeValue({ tag: 'CUnion', unionTag: 'count', structure: { label: { tag: 'CString' }, count: { tag: 'CInt' } }, value: { tag: 'CInt', value: 2 } }, u, '', problems);
    assert.deepEqual(problems, []);
    assert.ok(v instanceof Tagged && v.tag === 'Int');
    const later: WireProblem[] = [];
    decodeValue({ tag: 'CUnion', unionTag: 'variant7', structure: {}, value: { tag: 'CInt', value: 2 } }, u, 'out', later);
    assert.match(later[0]!.message, /unknown union tag "variant7"/);
  });

  test('a value of the wrong type is reported with every problem and its path', () => {
    const bytes = Buffer.from(JSON.stringify({ tag: 'CProduct', value: { n: { tag: 'CString', value: 'x' }, tags: { tag: 'CList', value: [{ tag: 'CInt', value: 1 }] } } }));
    assert.throws(
      () => valueFromBytes(bytes, w, 'the output'),
      (e: unknown) => e instanceof WireValueError && /n: expected CInt, got CString/.test(e.message) && /tags\[0\]: expected CString/.test(e.message) && /m: missing field/.test(e.message),
    );
    assert.throws(() => valueFromBytes(Buffer.from('{'), w, 'the output'), /the output is not valid JSON/);
    const big = Buffer.from(JSON.stringify({ tag: 'CInt', value: 2 ** 60 }));
    assert.throws(() => valueFromBytes(big, decodeTypeSchema(I, 'x'), 'the output'), /outside the exact integer range/);
  });
});

describe('names', () => {
  test('executor addresses', () => {
    assert.deepEqual(parseExecutorUrl('localhost:9091'), { host: 'localhost', port: 9091, target: 'localhost:9091' });
    assert.deepEqual(parseExecutorUrl('[::1]:9091'), { host: '[::1]', port: 9091, target: '[::1]:9091' });
    // a bare host means port 9090, as in the reference
    assert.deepEqual(parseExecutorUrl('provider.svc'), { host: 'provider.svc', port: 9090, target: 'provider.svc:9090' });
    for (const bad of ['', 'grpc://h:1', 'h:0', 'h:x', ':9091', '::1:9091', 'h:1/path', '[::1']) assert.equal(typeof parseExecutorUrl(bad), 'string', bad);
  });

  test('namespaces and reserved prefixes', () => {
    assert.equal(namespaceProblem('ml.sentiment_v2'), undefined);
    assert.match(namespaceProblem('ml..x')!, /segment ''/);
    assert.match(namespaceProblem('ml.in')!, /keyword/);
    assert.ok(isReserved('stdlib.math', ['stdlib']));
    assert.ok(!isReserved('stdlibs', ['stdlib']));
  });
});

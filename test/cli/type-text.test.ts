import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readableType } from '../../bin/cli/type-text.js';

/** The CLI prints the API's type notation in constellation-lang syntax (human output only). */

test('wire types read as constellation-lang', () => {
  const cases: Record<string, string> = {
    CString: 'String',
    'CList(CInt)': 'List<Int>',
    'COptional(CFloat)': 'Optional<Float>',
    'CMap(CString,CBoolean)': 'Map<String, Boolean>',
    'CProduct(Map(name -> CString, tags -> CList(CString)))': '{ name: String, tags: List<String> }',
    'CProduct(Map(customer -> CProduct(Map(id -> CInt)), total -> CFloat))': '{ customer: { id: Int }, total: Float }',
    'CUnion(Map(Int -> CInt, String -> CString))': 'Int | String',
    'CProduct(Map())': '{ }',
  };
  for (const [wire, readable] of Object.entries(cases)) assert.equal(readableType(wire), readable, wire);
});

test('text it does not recognise is shown as it came', () => {
  for (const odd of ['Nothing', 'CList(', 'CThing(CInt)', 'CInt trailing', '']) assert.equal(readableType(odd), odd);
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine } from '../../runtime/engine/engine.js';

/** A listener that throws is logged and ignored: it never fails or stalls an execution. */

describe('listener isolation', () => {
  test('every callback throwing still leaves the run completed, with the failures logged', async () => {
    const warnings: string[] = [];
    const boom = () => {
      throw new Error('listener broke');
    };
    const engine = new Engine({
      warn: (m) => warnings.push(m),
      listener: { onExecutionStart: boom, onModuleStart: boom, onModuleComplete: boom, onNodeStateChanged: boom, onExecutionComplete: boom },
    });
    const compiled = engine.compile('in x: Int\ny = add(x, 1)\nz = y * 2\nout z\n');
    const result = await engine.run(compiled.dag!, { x: 20 });
    assert.equal(result.status, 'completed');
    assert.deepEqual(result.outputs, { z: 42 });
    assert.ok(warnings.length >= 5, warnings.join('\n'));
    assert.ok(warnings.every((w) => w.includes('listener broke')));
    await engine.close();
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compositeListener } from '../../runtime/engine/composite-listener.js';
import { Engine } from '../../runtime/engine/engine.js';
import type { ExecutionListener, MetricsProvider, TracerProvider } from '../../runtime/engine/spi.js';

/**
 * Listeners written as classes keep their callbacks on the prototype; the engine must hear
 * them (it once read callbacks with Object.keys and silently dropped every method). Several
 * listeners at once each hear every event, even when one of them throws.
 */

class Recorder implements ExecutionListener {
  readonly events: string[] = [];
  private readonly prefix = 'rec';
  onExecutionStart(executionId: string): void {
    // `this` is the instance: the engine calls methods with their receiver
    this.events.push(`${this.prefix}:start:${executionId.length}`);
  }
  onExecutionComplete(_id: string, _dag: string, succeeded: boolean): void {
    this.events.push(`${this.prefix}:complete:${succeeded}`);
  }
}

class Derived extends Recorder {
  override onExecutionComplete(id: string, dag: string, succeeded: boolean): void {
    super.onExecutionComplete(id, dag, succeeded);
    this.events.push('derived:complete');
  }
}

const SOURCE = 'in x: Int\ny = add(x, 1)\nout y\n';

describe('class-based execution listeners', () => {
  test('methods on the prototype (and inherited ones) are called, with the instance as this', async () => {
    const listener = new Derived();
    const engine = new Engine({ listener });
    const result = await engine.run(engine.compile(SOURCE).dag!, { x: 1 });
    assert.equal(result.status, 'completed');
    assert.deepEqual(listener.events, ['rec:start:36', 'rec:complete:true', 'derived:complete']);
    await engine.close();
  });

  test('a composite of several listeners: each hears every event; one throwing silences nobody', async () => {
    const warnings: string[] = [];
    const first = new Recorder();
    const plain: string[] = [];
    const failing: ExecutionListener = {
      onExecutionStart: () => {
        throw new Error('observer down');
      },
    };
    const engine = new Engine({
      warn: (m) => warnings.push(m),
      listener: compositeListener([first, failing, { onExecutionComplete: (_id, _dag, ok) => plain.push(`plain:${ok}`) }, undefined]),
    });
    await engine.run(engine.compile(SOURCE).dag!, { x: 1 });
    assert.deepEqual(first.events, ['rec:start:36', 'rec:complete:true']);
    assert.deepEqual(plain, ['plain:true']);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /onExecutionStart threw: observer down/);
    await engine.close();
  });

  test('a composite of zero or one listener adds no wrapper', () => {
    const one = new Recorder();
    assert.equal(compositeListener([]), undefined);
    assert.equal(compositeListener([undefined, one]), one);
  });

  test('a metrics provider and a tracer given to the engine see executions and module calls', async () => {
    const metrics: string[] = [];
    const provider: MetricsProvider = {
      counter: (name, tags) => metrics.push(`counter ${name} ${JSON.stringify(tags ?? {})}`),
      histogram: (name) => metrics.push(`histogram ${name}`),
      gauge: () => {},
    };
    const spans: string[] = [];
    const tracer: TracerProvider = {
      span: (name, attributes, body) => {
        spans.push(`${name} ${Object.keys(attributes).join(',')}`);
        return body();
      },
    };
    const engine = new Engine({ metrics: provider, tracer });
    const result = await engine.run(engine.compile(SOURCE).dag!, { x: 1 });
    assert.deepEqual(result.outputs, { y: 2 });
    assert.deepEqual(spans, ['constellation.execution pipeline']);
    assert.ok(metrics.includes('histogram constellation.execution.duration_ms'), metrics.join('\n'));
    await engine.close();
  });
});

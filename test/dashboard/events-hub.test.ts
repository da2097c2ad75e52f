import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExecutionEventHub, type ExecutionEvent } from '../../runtime/events/execution-events.js';

/** The live-events hub: interest gating, per-execution and global subscribers, origins for a cluster bridge. */

describe('execution event hub', () => {
  test('builds events only for watched executions', () => {
    const hub = new ExecutionEventHub();
    const feed = hub.listener();
    const got: ExecutionEvent[] = [];
    feed.onModuleStart!('a', 1, 'M'); // nobody watches: nothing
    const sub = hub.subscribe('a', (e) => got.push(e));
    assert.equal(hub.isWatched('a'), true);
    assert.equal(hub.isWatched('b'), false);
    feed.onModuleStart!('a', 1, 'M');
    feed.onModuleStart!('b', 2, 'M'); // another execution
    feed.onModuleComplete!('a', 1, 'M', 2.5, { attempts: 1, cacheHit: false });
    sub.close();
    sub.close(); // idempotent
    feed.onModuleFailed!('a', 1, 'M', { code: 'ModuleFailed', message: 'boom' });
    assert.deepEqual(got.map((e) => e.type), ['module:start', 'module:complete']);
    assert.equal((got[1] as { durationMs: number }).durationMs, 2.5);
    assert.equal((got[0] as { moduleId: string }).moduleId, '1');
    assert.equal(hub.subscriberCount, 0);
  });

  test('a watcher of all executions sees every one; names replace hashes while named', () => {
    const hub = new ExecutionEventHub();
    const feed = hub.listener();
    const got: ExecutionEvent[] = [];
    hub.subscribe(undefined, (e) => got.push(e));
    const forget = hub.nameExecution('x', 'script.cst');
    feed.onExecutionStart!('x', 'abc123');
    feed.onExecutionStart!('y', 'def456');
    forget();
    feed.onExecutionComplete!('x', 'abc123', true, 3);
    assert.deepEqual(got.map((e) => [e.executionId, 'dagName' in e ? e.dagName : '']), [['x', 'script.cst'], ['y', 'def456'], ['x', 'abc123']]);
  });

  test('interest changes are announced once per execution; an origin does not get its own events back', () => {
    const hub = new ExecutionEventHub();
    const changes: string[] = [];
    hub.onInterest((id, watched) => changes.push(`${id ?? '*'}:${watched}`));
    const local: ExecutionEvent[] = [];
    const bridge: ExecutionEvent[] = [];
    const a = hub.subscribe('e1', (e) => local.push(e));
    const b = hub.subscribe('e1', (e) => local.push(e));
    const c = hub.subscribe('e1', (e) => bridge.push(e), 'cluster');
    const remote = hub.watch('e2', 'cluster');
    assert.equal(hub.isWatched('e2'), true);
    hub.publish({ type: 'execution:start', executionId: 'e1', dagName: 'p', timestamp: 1, origin: 'peer' }, 'cluster');
    assert.equal(local.length, 2);
    assert.equal(bridge.length, 0);
    a.close();
    b.close();
    c.close();
    remote.close();
    assert.deepEqual(changes, ['e1:true', 'e2:true', 'e1:false', 'e2:false']);
  });

  test('a subscriber that throws does not stop the others', () => {
    const warnings: string[] = [];
    const hub = new ExecutionEventHub((m) => warnings.push(m));
    let delivered = 0;
    hub.subscribe('z', () => {
      throw new Error('bad sink');
    });
    hub.subscribe('z', () => delivered++);
    hub.listener().onExecutionCancelled!('z', 'h');
    assert.equal(delivered, 1);
    assert.match(warnings[0]!, /bad sink/);
  });
});

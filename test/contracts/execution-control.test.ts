import { Engine } from '../../runtime/engine/engine.js';
import { LocalExecutionControl } from '../../runtime/engine/execution-control.js';
import { MemorySuspensionStore } from '../../runtime/stores/suspension-store.js';
import { Slow, Upper } from './control-modules.js';
import { executionControlContract } from './execution-control.contract.js';

/** The local execution control (one engine, its suspension store) against the contract suite. */

executionControlContract('local', async () => {
  const suspensions = new MemorySuspensionStore();
  const engine = new Engine({ suspensionStore: suspensions, modules: [{ module: Slow }, { module: Upper }] });
  let n = 0;
  const control = new LocalExecutionControl(engine, { suspensions, sessionIds: () => `instance-a.${++n}` });
  const slow = engine.compile('in t: String\nx = Slow(t)\nout x\n').dag!;
  const suspending = engine.compile('in a: Int\nin b: Int\nx = a + b\nout x\n').dag!;
  const stepped = engine.compile('in t: String\na = Upper(t)\nb = Upper(a)\nout b\n').dag!;
  return {
    store: {
      control,
      startSlow: async () => {
        let executionId = '';
        const finished = engine.run(slow, { t: 'x' }, { onStart: (e) => (executionId = e.executionId) });
        await new Promise((r) => setImmediate(r));
        return { executionId, finished };
      },
      suspended: async () => (await engine.run(suspending, { a: 1 })).executionId,
      stepped: { dag: stepped, inputs: { t: 'Mixed' } },
      sessionIdPrefix: 'instance-a.',
      quick: { dag: stepped, inputs: { t: 'quick' } },
      owner: null,
    },
    cleanup: () => engine.close(),
  };
});

import { z } from 'zod';
import { defineModule, type Placement } from '../../runtime/modules/define.js';

/**
 * Modules the benchmarks run, in both placements: `front` (on the coordinator, like an
 * in-process Moleculer action or a hand-written handler) and `worker` (on the pool, the
 * default). The peers in bench/peers/ implement exactly the same work.
 */

function lookups(placement: Placement, suffix: string) {
  return [
    defineModule({
      name: `GetUser${suffix}`,
      placement,
      input: z.object({ id: z.int() }),
      output: z.object({ user: z.object({ id: z.int(), name: z.string() }) }),
      run: ({ id }) => ({ user: { id, name: `user-${id}` } }),
    }),
    defineModule({
      name: `GetOrders${suffix}`,
      placement,
      input: z.object({ id: z.int() }),
      output: z.object({ orders: z.int() }),
      run: ({ id }) => ({ orders: (id * 7) % 13 }),
    }),
    defineModule({
      name: `GetScore${suffix}`,
      placement,
      input: z.object({ id: z.int() }),
      output: z.object({ score: z.number() }),
      run: ({ id }) => ({ score: id / 3 }),
    }),
  ];
}

function chain(placement: Placement, suffix: string) {
  const step = (name: string) =>
    defineModule({
      name: `${name}${suffix}`,
      placement,
      input: z.object({ value: z.int() }),
      output: z.object({ value: z.int() }),
      run: ({ value }) => ({ value: value * 2 + 1 }),
    });
  return [step('StepA'), step('StepB'), step('StepC')];
}

function io(placement: Placement, suffix: string) {
  return defineModule({
    name: `IoWait${suffix}`,
    placement,
    input: z.object({ ms: z.int() }),
    output: z.object({ waited: z.int() }),
    // a timer stands for the I/O (a database or HTTP call)
    run: async ({ ms }) => {
      await new Promise((r) => setTimeout(r, ms));
      return { waited: ms };
    },
  });
}

function burn(placement: Placement, suffix: string) {
  return defineModule({
    name: `Burn${suffix}`,
    placement,
    input: z.object({ ms: z.int() }),
    output: z.object({ spins: z.int() }),
    run: ({ ms }) => {
      const end = performance.now() + ms;
      let spins = 0;
      while (performance.now() < end) spins++;
      return { spins };
    },
  });
}

export const benchModules = [
  ...lookups('front', ''), ...lookups('worker', 'W'),
  ...chain('front', ''), ...chain('worker', 'W'),
  io('front', ''), io('worker', 'W'),
  burn('front', 'Front'), burn('worker', ''),
];

/** The pipelines, shared by the in-process and HTTP scenarios. */
export const PIPELINES = {
  composition: (s: string) => `in id: Int\nuser = GetUser${s}(id)\norders = GetOrders${s}(id)\nscore = GetScore${s}(id)\nresult = { user: user, orders: orders, score: score }\nout result\n`,
  chain3: (s: string) => `in value: Int\na = StepA${s}(value)\nb = StepB${s}(a)\nc = StepC${s}(b)\nout c\n`,
  fanoutIo: (s: string) => `in ms: Int\n${Array.from({ length: 8 }, (_, i) => `w${i} = IoWait${s}(ms)`).join('\n')}\ntotal = w0 + w1 + w2 + w3 + w4 + w5 + w6 + w7\nout total\n`,
  fanoutCpu: (s: string) => `in ms: Int\n${Array.from({ length: 4 }, (_, i) => `b${i} = Burn${s}(ms)`).join('\n')}\nspins = b0 + b1 + b2 + b3\nout spins\n`,
  trivial: () => 'in x: Int\ny = x + 1\nout y\n',
  single: () => 'in x: Int\ny = add(x, 1)\nout y\n',
  chain: (n: number) => `in x0: Int\n${Array.from({ length: n }, (_, i) => `x${i + 1} = add(x${i}, 1)`).join('\n')}\nout x${n}\n`,
};

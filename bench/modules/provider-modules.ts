import { z } from 'zod';
import { defineModule } from '../../runtime/modules/define.js';

/**
 * The module of the provider benchmark, defined once: served by a provider process
 * (bench/provider-main.ts, as `bench.remote.Lookup`) and registered locally on the coordinator
 * (as `bench.local.Lookup`), so the two measure the same work and differ only by where it runs.
 */
export const lookup = (namespace: string) =>
  defineModule({
  name: 'Lookup',
  namespace,
  placement: 'front',
  input: z.object({ id: z.int(), region: z.string() }),
  output: z.object({ name: z.string(), score: z.number(), tags: z.array(z.string()) }),
  run: ({ id, region }) => ({ name: `user-${id}`, score: (id * 7) % 13, tags: [region, id % 2 === 0 ? 'even' : 'odd'] }),
  });

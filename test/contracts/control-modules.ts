import { z } from 'zod';
import { defineModule } from '../../runtime/modules/define.js';

/** The modules of the ExecutionControl suites: a call that takes a second, and a quick one. */

export const Slow = defineModule({
  name: 'Slow',
  input: z.object({ text: z.string() }),
  output: z.object({ out: z.string() }),
  placement: 'front',
  run: async ({ text }, ctx) => {
    await ctx.sleep(1000);
    return { out: text };
  },
});

export const Upper = defineModule({
  name: 'Upper',
  input: z.object({ text: z.string() }),
  output: z.object({ out: z.string() }),
  placement: 'front',
  run: ({ text }) => ({ out: text.toUpperCase() }),
});

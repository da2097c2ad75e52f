import { z } from 'zod';
import { defineModule } from '../../runtime/modules/define.js';
import { intMul, intSum } from '../../runtime/values/int.js';

/** Data modules of the example pack. */

const ints = z.array(z.int());

export const SumList = defineModule({
  name: 'SumList',
  description: 'Sum of the numbers; 0 when empty',
  input: z.object({ numbers: ints }),
  output: z.object({ total: z.int() }),
  run: ({ numbers }) => ({ total: intSum(numbers) }),
});

export const Average = defineModule({
  name: 'Average',
  description: 'Arithmetic mean; 0.0 when empty',
  input: z.object({ numbers: ints }),
  output: z.object({ average: z.number() }),
  run: ({ numbers }) => ({ average: numbers.length === 0 ? 0 : intSum(numbers) / numbers.length }),
});

export const Max = defineModule({
  name: 'Max',
  description: 'Largest number; 0 when empty',
  input: z.object({ numbers: ints }),
  output: z.object({ max: z.int() }),
  run: ({ numbers }) => ({ max: numbers.length === 0 ? 0 : numbers.reduce((a, b) => (b > a ? b : a)) }),
});

export const Min = defineModule({
  name: 'Min',
  description: 'Smallest number; 0 when empty',
  input: z.object({ numbers: ints }),
  output: z.object({ min: z.int() }),
  run: ({ numbers }) => ({ min: numbers.length === 0 ? 0 : numbers.reduce((a, b) => (b < a ? b : a)) }),
});

export const FilterGreaterThan = defineModule({
  name: 'FilterGreaterThan',
  description: 'Numbers strictly greater than the threshold, order kept',
  input: z.object({ numbers: ints, threshold: z.int() }),
  output: z.object({ filtered: ints }),
  run: ({ numbers, threshold }) => ({ filtered: numbers.filter((n) => n > threshold) }),
});

export const MultiplyEach = defineModule({
  name: 'MultiplyEach',
  description: 'Each number times the multiplier',
  input: z.object({ numbers: ints, multiplier: z.int() }),
  output: z.object({ result: ints }),
  run: ({ numbers, multiplier }) => ({ result: numbers.map((n) => intMul(n, multiplier)) }),
});

/** Range lengths above this fail instead of exhausting memory. */
const MAX_RANGE = 10_000_000;

export const Range = defineModule({
  name: 'Range',
  description: 'Integers from start to end inclusive; empty when start > end',
  input: z.object({ start: z.int(), end: z.int() }),
  output: z.object({ numbers: ints }),
  run: ({ start, end }) => {
    if (start > end) return { numbers: [] };
    if (end - start + 1 > MAX_RANGE) throw new Error(`Range of ${end - start + 1} numbers exceeds the limit of ${MAX_RANGE}`);
    const out = new Array<number>(end - start + 1);
    for (let i = 0; i < out.length; i++) out[i] = start + i;
    return { numbers: out };
  },
});

export const FormatNumber = defineModule({
  name: 'FormatNumber',
  description: 'Decimal with US thousands grouping',
  input: z.object({ number: z.int() }),
  output: z.object({ formatted: z.string() }),
  run: ({ number }) => {
    const digits = Math.abs(number).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return { formatted: number < 0 ? `-${digits}` : digits };
  },
});

export const dataModules = [SumList, Average, Max, Min, FilterGreaterThan, MultiplyEach, Range, FormatNumber];

import { z } from 'zod';
import { defineModule } from '../../runtime/modules/define.js';
import { javaSplit } from './java-split.js';

/** Text modules of the example pack. */

const trimJava = (s: string): string => {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 32) a++;
  while (b > a && s.charCodeAt(b - 1) <= 32) b--;
  return s.slice(a, b);
};

export const Uppercase = defineModule({
  name: 'Uppercase',
  description: 'Converts text to upper case (locale-independent Unicode mapping)',
  input: z.object({ text: z.string() }),
  output: z.object({ result: z.string() }),
  run: ({ text }) => ({ result: text.toUpperCase() }),
});

export const Lowercase = defineModule({
  name: 'Lowercase',
  description: 'Converts text to lower case (locale-independent Unicode mapping)',
  input: z.object({ text: z.string() }),
  output: z.object({ result: z.string() }),
  run: ({ text }) => ({ result: text.toLowerCase() }),
});

export const Trim = defineModule({
  name: 'Trim',
  description: 'Removes leading and trailing characters with code ≤ U+0020',
  input: z.object({ text: z.string() }),
  output: z.object({ result: z.string() }),
  run: ({ text }) => ({ result: trimJava(text) }),
});

export const Replace = defineModule({
  name: 'Replace',
  description: 'Replaces every occurrence of find (literally) with replace',
  input: z.object({ text: z.string(), find: z.string(), replace: z.string() }),
  output: z.object({ result: z.string() }),
  run: ({ text, find, replace }) => ({ result: text.replaceAll(find, () => replace) }),
});

export const WordCount = defineModule({
  name: 'WordCount',
  description: 'Number of runs of non-whitespace characters (ASCII whitespace)',
  input: z.object({ text: z.string() }),
  output: z.object({ count: z.int() }),
  run: ({ text }) => ({ count: text.split(/[ \t\n\u000b\f\r]+/).filter((w) => w.length > 0).length }),
});

export const TextLength = defineModule({
  name: 'TextLength',
  description: 'Length in UTF-16 code units',
  input: z.object({ text: z.string() }),
  output: z.object({ length: z.int() }),
  run: ({ text }) => ({ length: text.length }),
});

export const Contains = defineModule({
  name: 'Contains',
  description: 'Case-sensitive substring test',
  input: z.object({ text: z.string(), substring: z.string() }),
  output: z.object({ contains: z.boolean() }),
  run: ({ text, substring }) => ({ contains: text.includes(substring) }),
});

export const SplitLines = defineModule({
  name: 'SplitLines',
  description: 'Splits on LF and drops trailing empty lines (JVM split)',
  input: z.object({ text: z.string() }),
  output: z.object({ lines: z.array(z.string()) }),
  run: ({ text }) => ({ lines: javaSplit(text, '\n') }),
});

export const Split = defineModule({
  name: 'Split',
  description: 'Splits text on a regular expression (JVM split: trailing empty strings removed)',
  input: z.object({ text: z.string(), delimiter: z.string() }),
  output: z.object({ parts: z.array(z.string()) }),
  run: ({ text, delimiter }) => ({ parts: javaSplit(text, delimiter) }),
});

export const textModules = [Uppercase, Lowercase, Trim, Replace, WordCount, TextLength, Contains, SplitLines, Split];

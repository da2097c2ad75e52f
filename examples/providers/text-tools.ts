import { z } from 'zod';
import { defineModule } from '../../runtime/modules/define.js';

/**
 * An example module provider: text helpers served to Constellation engines from their own
 * process. In a project of your own, import `defineModule` from the package (`constellation`, or
 * `constellation/provider-kit`).
 *
 *   constellation provide dist/examples/providers/text-tools.js --engine 127.0.0.1:9090
 *
 * The exported `namespace` names the modules in pipelines: `text.tools.Slugify(title)`.
 * `examples/providers/blog-post.cst` calls them.
 */

export const namespace = 'text.tools';

export const Slugify = defineModule({
  name: 'Slugify',
  version: '1.0.0',
  description: 'URL slug of a title: lower case, words joined by hyphens',
  input: z.object({ title: z.string() }),
  output: z.object({ slug: z.string() }),
  run: ({ title }) => ({
    slug: title
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, ''),
  }),
});

export const Readability = defineModule({
  name: 'Readability',
  version: '1.0.0',
  description: 'Word and sentence counts of a text',
  input: z.object({ text: z.string() }),
  output: z.object({ words: z.int(), sentences: z.int(), wordsPerSentence: z.number() }),
  run: ({ text }) => {
    const words = text.split(/\s+/).filter((w) => w.length > 0).length;
    const sentences = Math.max(1, text.split(/[.!?]+/).filter((s) => s.trim().length > 0).length);
    return { words, sentences, wordsPerSentence: Math.round((words / sentences) * 10) / 10 };
  },
});

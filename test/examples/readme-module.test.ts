import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { request, tempDir } from '../helpers/http.js';
import { startServer } from '../helpers/server.js';

/**
 * The README's "Writing a module" example, taken from the README itself: it compiles with the
 * project's compiler settings against the package (`import … from 'constellation'`) and the
 * server loads the output through CONSTELLATION_MODULES. The compile happens in a scratch
 * directory that sees the package as a dependency, so the test never writes into the clone.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

test("the README's module compiles as written and loads with CONSTELLATION_MODULES", async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Writing a module'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, 'the section has a TypeScript block');
  const path = /^\/\/ (modules\/[\w-]+\.ts) — then: CONSTELLATION_MODULES=(dist\/modules\/[\w-]+\.js) npm start$/m.exec(code);
  assert.ok(path, `the block names its file and the command: ${code.split('\n')[0]}`);
  assert.equal(path[1]!.replace(/^modules\/(.*)\.ts$/, 'dist/modules/$1.js'), path[2], 'the command loads what the file compiles to');
  const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
  assert.ok(tsconfig.include.includes('modules'), 'the build compiles modules/');

  const dir = tempDir('constellation-readme-module-');
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'constellation'));
    for (const dep of ['zod', '@types']) symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep));
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(dir, 'my-modules.ts'), code);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), compilerOptions: { rootDir: '.', outDir: 'out', declaration: false, sourceMap: false }, include: ['my-modules.ts'] }),
    );
    const tsc = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    assert.equal(tsc.status, 0, `tsc: ${tsc.stdout}${tsc.stderr}`);

    const srv = await startServer({ env: { CONSTELLATION_MODULES: join(dir, 'out', 'my-modules.js'), CONSTELLATION_EXAMPLE_MODULES: 'false' } });
    try {
      const modules = await request(srv.port, '/modules');
      const geocode = (modules.json.modules as { name: string; version: string }[]).find((m) => m.name === 'Geocode');
      assert.ok(geocode, modules.text);
      assert.match(geocode.version, /^1\.2/);
      const compiled = await request(srv.port, '/compile', { method: 'POST', body: { source: 'in a: String\nl = Geocode(a)\nout l' } });
      assert.equal(compiled.status, 200, compiled.text);
    } finally {
      await srv.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

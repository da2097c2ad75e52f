import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { PACKAGE_JSON, parseJson, Scratch } from './support.js';

/** Global behaviour of the client: --version, --help, usage errors, --json on failures. */

describe('constellation (global options)', () => {
  let s: Scratch;
  before(async () => {
    s = await Scratch.create();
  });
  after(() => s.remove());

  test('--version / -V print the package version', async () => {
    const { version } = JSON.parse(await readFile(PACKAGE_JSON, 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await s.run([flag]);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `constellation ${version}\n`);
    }
    assert.deepEqual(parseJson((await s.run(['--version', '--json'])).stdout), { success: true, version });
  });

  test('--help, -h, help <command> and <command> --help exit 0', async () => {
    const top = await s.run(['--help']);
    assert.equal(top.code, 0);
    for (const word of ['serve', 'compile <file>', 'run <file>', 'viz <file>', 'server health', 'Exit codes']) assert.ok(top.stdout.includes(word), word);
    assert.equal((await s.run(['-h'])).code, 0);
    const run = await s.run(['help', 'run']);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /Usage: constellation run <file>/);
    assert.match((await s.run(['viz', '--help'])).stdout, /Usage: constellation viz <file>/);
  });

  test('no command, an unknown command or an unknown option: usage on stderr, exit 10', async () => {
    const none = await s.run([]);
    assert.equal(none.code, 10);
    assert.match(none.stderr, /no command given/);
    assert.match(none.stderr, /Usage: constellation/);
    assert.equal(none.stdout, '');
    const unknown = await s.run(['frobnicate']);
    assert.equal(unknown.code, 10);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const option = await s.run(['compile', 'x.cst', '--frob']);
    assert.equal(option.code, 10);
    assert.match(option.stderr, /--frob/);
  });

  test('--json failures are one object on stdout, nothing on stderr', async () => {
    const r = await s.run(['--json', 'frobnicate']);
    assert.equal(r.code, 10);
    assert.equal(r.stderr, '');
    const j = parseJson(r.stdout);
    assert.equal(j.success, false);
    assert.match(j.error, /unknown command/);
    const unparsable = await s.run(['-jq', '--frob']);
    assert.equal(unparsable.code, 10);
    assert.equal(parseJson(unparsable.stdout).success, false);
  });

  test('config file defaults.output = json switches to JSON output; a corrupt file is ignored', async () => {
    await mkdir(s.path('.constellation'));
    await writeFile(s.path('.constellation/config.json'), JSON.stringify({ defaults: { output: 'json' } }));
    assert.equal(parseJson((await s.run(['--version'])).stdout).success, true);
    await writeFile(s.path('.constellation/config.json'), '{ corrupt');
    assert.match((await s.run(['--version'])).stdout, /^constellation /);
    await rm(s.path('.constellation'), { recursive: true });
  });
});

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { deployFiles, readRepoFile, REPO, unknownVariables, yamlDocuments } from '../helpers/deploy.js';

/**
 * The README's Deploy section matches the files: every deployment file is described there, every
 * path it names exists, every `npm run` script it shows is in package.json, every compose and
 * kubectl command points at a file that is there, every variable it names is one the server reads.
 */

function section(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `the README has a "## ${title}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

const deploy = section(readRepoFile('README.md'), 'Deploy');

test('every file under deploy/, and .dockerignore, is described in the Deploy section', () => {
  const missing = [...deployFiles(), '.dockerignore'].filter((f) => !deploy.includes(f));
  assert.deepEqual(missing, []);
});

test('every path the Deploy section names exists', () => {
  const named = new Set([...deploy.matchAll(/(?:^|[\s(`[])((?:\.dockerignore|deploy\/[\w./-]*[\w/]))/g)].map((m) => m[1]!));
  assert.ok(named.size > 20, `${named.size} paths`);
  assert.deepEqual([...named].filter((p) => !existsSync(join(REPO, p))), []);
});

test('its npm scripts, compose files and kubectl targets exist', () => {
  const scripts = (JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> }).scripts;
  const used = [...deploy.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
  assert.ok(used.includes('docker:build'));
  assert.deepEqual(used.filter((s) => !(s in scripts)), []);
  for (const m of deploy.matchAll(/docker compose -f (\S+)/g)) assert.ok(existsSync(join(REPO, m[1]!)), m[1]);
  for (const m of deploy.matchAll(/kubectl apply -[kf] (\S+)/g)) assert.ok(existsSync(join(REPO, m[1]!)), m[1]);
  // what `npm run docker:build` prints in the README is the script
  const shown = /npm run docker:build\s+# (.+)$/m.exec(deploy)?.[1]?.trim();
  assert.equal(shown, scripts['docker:build']);
});

test("every CONSTELLATION_ name it shows is a variable the server reads (or the affinity Ingress's cookie)", () => {
  const [affinity] = yamlDocuments('deploy/k8s/ingress-affinity.yaml') as { metadata: { annotations: Record<string, string> } }[];
  const cookie = affinity!.metadata.annotations['nginx.ingress.kubernetes.io/session-cookie-name'];
  const named = new Set([...deploy.matchAll(/\bCONSTELLATION_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]));
  assert.ok(named.has('CONSTELLATION_NATS_URL'), 'the cluster variables are among them');
  assert.deepEqual(unknownVariables([...named].filter((n) => n !== cookie)), []);
});

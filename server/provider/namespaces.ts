/**
 * Names of the provider protocol: namespaces, module names, reserved namespaces and executor
 * addresses. Each check returns a problem sentence, or undefined when the name is fine.
 *
 * - namespace: dot-separated segments; each starts with a letter, then letters, digits or `_`
 *   (case-sensitive), and is not a keyword of constellation-lang (`type`, `in`, `match`, …), so
 *   it can be written in a pipeline (`ml.sentiment.Analyze(x)`);
 * - module name: one such segment;
 * - reserved: a namespace equal to a reserved entry or below it (`stdlib`, `stdlib.math`);
 * - executor address: `host:port` (an IPv6 host in brackets); a bare host means port 9090, as in
 *   the reference. A URL with a scheme is refused.
 */

import { KEYWORDS } from '../../runtime/language/tokens.js';

const SEGMENT = /^[A-Za-z][A-Za-z0-9_]*$/;

export function namespaceProblem(namespace: string): string | undefined {
  if (namespace.length === 0) return 'the namespace is empty';
  for (const part of namespace.split('.')) {
    if (!SEGMENT.test(part)) return `namespace '${namespace}': segment '${part}' must start with a letter and contain only letters, digits and '_'`;
    if (KEYWORDS.has(part)) return `namespace '${namespace}': segment '${part}' is a keyword of constellation-lang`;
  }
  return undefined;
}

export function moduleNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the module name is empty';
  if (!SEGMENT.test(name)) return `module name '${name}' must start with a letter and contain only letters, digits and '_'`;
  if (KEYWORDS.has(name)) return `module name '${name}' is a keyword of constellation-lang`;
  return undefined;
}

export function isReserved(namespace: string, reserved: readonly string[]): boolean {
  return reserved.some((r) => namespace === r || namespace.startsWith(r + '.'));
}

export interface ExecutorAddress {
  readonly host: string;
  readonly port: number;
  /** The gRPC target: `host:port`, `[v6]:port`. */
  readonly target: string;
}

/** Parses `host:port`; a string is a problem sentence. */
export function parseExecutorUrl(url: string): ExecutorAddress | string {
  const text = url.trim();
  if (text.length === 0) return 'executor_url is empty';
  if (text.includes('://')) return `executor_url must be host:port, not a URL with a scheme: '${text}'`;
  if (/\s|\//.test(text)) return `executor_url must be host:port: '${text}'`;
  let host: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return `executor_url has an unclosed IPv6 bracket: '${text}'`;
    host = text.slice(0, close + 1);
    const rest = text.slice(close + 1);
    if (rest.length > 0 && !rest.startsWith(':')) return `executor_url must be [v6-address]:port: '${text}'`;
    portText = rest.length > 0 ? rest.slice(1) : undefined;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) {
      host = text;
    } else {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
      if (host.includes(':')) return `executor_url: write an IPv6 host in brackets ([::1]:9091): '${text}'`;
    }
  }
  if (host.length === 0 || host === '[]') return `executor_url has no host: '${text}'`;
  let port = 9090;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText)) return `executor_url has an invalid port '${portText}': '${text}'`;
    port = Number(portText);
    if (port < 1 || port > 65535) return `executor_url port ${port} is out of range 1–65535: '${text}'`;
  }
  return { host, port, target: `${host}:${port}` };
}

import type { Readable, Writable } from 'node:stream';
import { LanguageSession, type SessionOptions } from './session.js';

/**
 * The language server over a pair of streams (stdin/stdout for editors that launch a server
 * process: Neovim, Helix, Emacs, Zed). Resolves with the exit code the LSP specification asks
 * for once the session ends: 0 after `shutdown` then `exit`, else 1. It never exits the process
 * itself; the caller does, after releasing what it started.
 */
export function serveStreams(input: Readable, output: Writable, options: Omit<SessionOptions, 'onEnd'>): { session: LanguageSession; done: Promise<number> } {
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const sink = (framed: string): Promise<void> =>
    new Promise((resolve) => {
      if (output.destroyed || !output.writable) return resolve();
      output.write(framed, () => resolve());
    });
  const session = new LanguageSession(sink, {
    ...options,
    onEnd: (code) => {
      input.off('data', onData);
      finish(code);
    },
  });
  const onData = (chunk: Buffer | string) => session.receive(chunk);
  input.on('data', onData);
  input.once('end', () => session.closed());
  input.once('close', () => session.closed());
  output.once('error', () => session.closed());
  return { session, done };
}

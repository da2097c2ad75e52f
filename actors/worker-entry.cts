/**
 * The file Piscina starts workers with. Piscina loads its worker file with `require()`, and
 * Node 20's `require()` of an ES module is not safe against `worker.terminate()`: a termination
 * during its synchronous instantiation aborts the whole process (CHECK / FATAL in V8 and
 * module_wrap.cc). This CommonJS entry loads the real worker (worker.ts) with `import()`, the
 * asynchronous path that tolerates termination; Piscina awaits the handler promise as `default`.
 */
export = import('./worker.js').then((m) => m.default);

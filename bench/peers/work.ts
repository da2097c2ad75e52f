/**
 * The work every peer does, identical to bench/modules/bench-modules.ts: three lookups merged,
 * a three-step chain, eight 10 ms waits.
 */
export const getUser = async (id: number) => ({ id, name: `user-${id}` });
export const getOrders = async (id: number) => (id * 7) % 13;
export const getScore = async (id: number) => id / 3;
export const step = async (value: number) => value * 2 + 1;
export const ioWait = (ms: number) => new Promise<number>((r) => setTimeout(() => r(ms), ms));

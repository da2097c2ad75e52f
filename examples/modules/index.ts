import { dataModules } from './data.js';
import { resilienceModules } from './resilience.js';
import { textModules } from './text.js';

/** The example module pack (the reference's example modules): 27 modules, loaded by default by the server. */
export const exampleModules = [...textModules, ...dataModules, ...resilienceModules];
export default exampleModules;

import type { Msg } from 'nats';
import { errorText, type ClusterLogger } from './log.js';

/**
 * A subscription callback that cannot throw: an exception escaping a nats.js callback unwinds
 * through the client's parser and costs the whole connection. What fails is logged (debug:
 * hostile or malformed messages are counted by the envelope codecs already).
 */
export function safeCallback(logger: ClusterLogger, what: string, handle: (msg: Msg) => void): (err: unknown, msg: Msg) => void {
  return (_err, msg) => {
    try {
      handle(msg);
    } catch (e) {
      logger.warn({ err: errorText(e), subject: msg.subject }, `cluster: ${what} failed`);
    }
  };
}

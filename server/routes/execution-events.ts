import { formatError } from '../../runtime/errors.js';
import { EVENTS_PATH } from '../events/events-socket.js';
import { errorReply } from '../http/error-reply.js';
import type { HttpRequest } from '../http/types.js';
import type { RouteSpec } from './openapi.js';

/**
 * The live execution events WebSocket (server/events/events-socket.ts) in the route table: a
 * plain GET there is answered 426 Upgrade Required, and the document lists the socket with its
 * query parameter and the events it sends.
 */
export function executionEventsDocRoute(): RouteSpec {
  return {
    method: 'GET',
    path: EVENTS_PATH,
    handler: (req: HttpRequest) => errorReply('UpgradeRequired', formatError('UpgradeRequired', { path: EVENTS_PATH }), req.requestId, { upgrade: 'websocket' }),
    doc: {
      summary: 'Live execution events (WebSocket; ?executionId= for one execution, else all, on any instance)',
      description:
        'Upgrade to a WebSocket. The server sends one JSON object per text frame, with `type` one of execution:start, module:start, ' +
        'module:complete, module:failed, execution:complete, execution:cancelled (fields executionId, dagName, moduleId, moduleName, ' +
        'durationMs, succeeded, error, timestamp in epoch ms, and origin: the instance that ran it). The API key may be sent as a ' +
        'Bearer header, a ?token= parameter or a Sec-WebSocket-Protocol value. At most 100 events wait for a slow client; later ones are dropped.',
      tag: 'executions',
      responses: {
        101: { description: 'Switching to the WebSocket protocol' },
        426: { description: 'UpgradeRequired: a plain GET' },
      },
    },
  };
}

import { z } from 'zod';
import { parseDuration } from '../config.js';
import { json, type HttpReply, type HttpRequest } from '../http/types.js';
import { errorDoc, type RouteSpec } from '../routes/openapi.js';
import { jsonBody, notFound } from '../routes/reply.js';
import type { ProviderPort } from './port.js';

/**
 * Operations on providers over HTTP (access like any GET / POST route: ReadOnly may list,
 * Execute and Admin may drain):
 * - `GET /providers`: every live connection with its namespace, executor, group, modules, state,
 *   timestamps, calls in flight and drain;
 * - `POST /providers/{connectionId}/drain` with an optional body `{ "reason", "timeout" }`
 *   (`timeout` as `30s`, `500ms` or a number of milliseconds; default the configured drain
 *   deadline): the provider is told to finish by then (at once, or when its control stream
 *   opens) and gets no new calls. 202 when the drain starts, 200 when it was already
 *   draining, 404 for an unknown connection.
 */

const ProviderDrain = z.object({
  connectionId: z.string(),
  namespace: z.string(),
  reason: z.string().nullable(),
  deadline: z.string().nullable(),
  inFlightCalls: z.number(),
  state: z.string(),
});

const ProvidersResponse = z.object({
  providers: z.array(
    z.object({
      connectionId: z.string(),
      namespace: z.string(),
      executorUrl: z.string(),
      groupId: z.string(),
      modules: z.array(z.string()),
      state: z.enum(['Registered', 'Active', 'Draining', 'Disconnected']),
      protocolVersion: z.number(),
      registeredAt: z.string(),
      controlPlaneAt: z.string().nullable(),
      lastHeartbeatAt: z.string().nullable(),
      inFlightCalls: z.number(),
      drain: z.object({ reason: z.string(), deadline: z.string(), acknowledged: z.boolean(), reportedInFlight: z.number().nullable() }).nullable(),
    }),
  ),
});

const DrainBody = z.object({
  reason: z.string().max(1000).optional(),
  timeout: z
    .union([z.number().int().positive(), z.string()])
    .optional()
    .transform((t, check) => {
      if (t === undefined || typeof t === 'number') return t;
      const ms = parseDuration(t);
      if (ms === undefined || ms <= 0) {
        check.addIssue({ code: 'custom', message: `timeout: expected a duration such as 30s or 500ms, got '${t}'` });
        return z.NEVER;
      }
      return ms;
    }),
});

export function providerRoutes(port: () => ProviderPort | undefined, defaultDrainMs: number): RouteSpec[] {
  const list = (): HttpReply => json(200, { providers: port()?.list() ?? [] });

  const drain = async (req: HttpRequest): Promise<HttpReply> => {
    const id = req.params['connectionId']!;
    const body = await jsonBody(req, DrainBody);
    if (!body.ok) return body.reply;
    const p = port();
    const conn = p?.directory.connections.get(id);
    if (!p || !conn) return notFound(`No provider connection '${id}'`, req.requestId);
    const deadline = Date.now() + (body.value.timeout ?? defaultDrainMs);
    const outcome = p.drainConnection(id, body.value.reason ?? 'drain requested by an operator', deadline);
    const status = outcome === 'requested' ? 202 : 200;
    return json(status, { connectionId: id, namespace: conn.namespace, reason: conn.drain?.reason ?? null, deadline: conn.drain ? new Date(conn.drain.deadline).toISOString() : null, inFlightCalls: conn.inFlight.size, state: conn.state });
  };

  return [
    {
      method: 'GET',
      path: '/providers',
      handler: list,
      doc: { summary: 'Module provider connections', tag: 'providers', responses: { 200: { description: 'Live provider connections', schema: ProvidersResponse } } },
    },
    {
      method: 'POST',
      path: '/providers/:connectionId/drain',
      handler: drain,
      doc: {
        summary: 'Drain a module provider: no new calls; it is told to finish by the deadline',
        tag: 'providers',
        params: { connectionId: 'Connection id (from GET /providers)' },
        body: { schema: DrainBody, required: false, description: 'Optional reason and timeout (default: the configured provider drain deadline)' },
        responses: {
          200: { description: 'Already draining', schema: ProviderDrain },
          202: { description: 'Drain requested', schema: ProviderDrain },
          400: errorDoc('InvalidRequest'),
          404: errorDoc('NotFound: no such connection'),
        },
      },
    },
  ];
}

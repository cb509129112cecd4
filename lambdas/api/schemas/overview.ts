/**
 * GET /v1/overview: what the console's overview shows.
 */
import * as z from 'zod';
import { optionalTimeSchema, tenantSchema, timeSchema } from './fields';
import { circuitViewSchema } from './breaker';

export const outcomeCountsSchema = z
  .object({
    start: timeSchema,
    delivered: z.number().min(0),
    failed: z.number().min(0).meta({ description: 'Failed attempts (each retry counts).' }),
    dead: z.number().min(0),
    canceled: z.number().min(0),
  })
  .meta({ id: 'OutcomeCounts', title: 'OutcomeCounts' });

const failingEndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    tenant: tenantSchema,
    disabled: z.boolean(),
    disabledReason: z.string().nullable(),
    health: z.object({
      consecutiveFailures: z.number().int().min(0),
      failingSince: optionalTimeSchema,
      lastSuccessAt: optionalTimeSchema,
      lastFailureAt: optionalTimeSchema,
    }),
    circuit: circuitViewSchema,
  })
  .meta({ id: 'FailingEndpoint', title: 'FailingEndpoint' });

export const overviewSchema = z
  .object({
    generatedAt: timeSchema,
    endpoints: z.object({
      examined: z.number().int().min(0),
      truncated: z.boolean().meta({ description: 'More endpoints exist than were read (1000): the counts cover the newest.' }),
      failingCount: z.number().int().min(0),
      disabledCount: z.number().int().min(0),
      openCircuitCount: z.number().int().min(0).meta({ description: 'Endpoints whose circuit is open or half-open (their deliveries wait, parked).' }),
      failing: z.array(failingEndpointSchema).meta({ description: 'Failing endpoints first (most consecutive failures), then those with an open circuit and disabled ones; at most 20.' }),
    }),
    deadLetters: z.object({
      count: z.number().int().min(0),
      atLeast: z.boolean().meta({ description: 'True when counting stopped at 1000.' }),
    }),
    queue: z
      .object({
        visible: z.number().int().min(0).meta({ description: 'Messages ready on the delivery queues.' }),
        delayed: z.number().int().min(0).meta({ description: 'Messages on a retry timer.' }),
        inFlight: z.number().int().min(0).meta({ description: 'Messages being delivered.' }),
        lagMs: z.number().min(0).nullable().meta({ description: 'The longest a message waited on a queue before the worker took it, over the last 5 minutes (retry timers included); null when none was taken.' }),
      })
      .nullable(),
    history: z
      .object({
        source: z.enum(['cloudwatch', 'local']),
        lastHour: z.array(outcomeCountsSchema).meta({ description: '60 one-minute periods, oldest first.' }),
        lastDay: z.array(outcomeCountsSchema).meta({ description: '96 quarter-hours, oldest first.' }),
      })
      .nullable(),
  })
  .meta({ id: 'Overview', title: 'Overview' });

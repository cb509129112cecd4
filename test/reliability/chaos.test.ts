/**
 * Chaos: Herald in local mode (the real handlers on dynalite, fauxqs and the Scheduler emulator) delivering to a
 * receiver that answers a seeded mix of 2xx, 500, 503 + Retry-After, 429, 410, 400, 301, timeouts and
 * connection resets, for events of three tenants fanned out to six endpoints with compressed retry policies.
 *
 * Once every delivery is final it checks the promises of the product, each against an independent witness:
 * - every accepted event's deliveries exist, one per subscribed endpoint, and are final (the API);
 * - a delivery is `delivered` exactly when the receiver answered 2xx for it (the receiver's own log), and
 *   every request the receiver got carried a valid Standard Webhooks signature (verified with the
 *   `standardwebhooks` library and each endpoint's secret);
 * - every dead delivery is on the dead-letter queue exactly once and nothing else is (the queue, drained);
 * - every endpoint with dead letters was alerted, and the coalesced alerts add up to its dead letters (the
 *   printed alerts: first alerts, carried-over counts and window summaries);
 * - no redirect was followed, no attempt count exceeds its policy, and an exhausted delivery used every attempt;
 * - duplicates (the receiver answering 2xx twice for one delivery: at-least-once) stay within the stated bound.
 *
 * Size: HERALD_CHAOS_EVENTS events (default 1000). Seed: HERALD_RELIABILITY_SEED.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from '../support/receiver';
import { FINAL_STATUSES, deadLettersAlerted, drainQueue, eventually, mapLimit, waitUntilFinal, type DeliveryRecord } from './support/herald-api';
import { startTestHerald, type TestHerald } from './support/local';
import { hash32, prng, suiteSeed, weighted } from './support/seeded';

const SEED = suiteSeed();
const EVENTS = Number(process.env.HERALD_CHAOS_EVENTS ?? 1000);
/** At-least-once: the receiver may see a delivery answered 2xx twice. The stated bound: at most 1 % of deliveries. */
const DUPLICATE_BOUND = 0.01;
const ALERT_WINDOW_SECONDS = 3;

const TENANTS = ['acme', 'globex', 'initech'] as const;
const EVENT_TYPES = ['user.created', 'user.updated', 'order.created', 'order.paid', 'invoice.sent'] as const;

/** The deployment default (HERALD_DEFAULT_RETRY_POLICY), used by the endpoint that sets no policy. */
const DEPLOYMENT_DEFAULT = { backoff: { baseSeconds: 1, maxDelaySeconds: 2 }, maxAttempts: 3 };

interface EndpointSpec {
  readonly name: string;
  readonly tenant: (typeof TENANTS)[number];
  readonly eventTypes: readonly string[];
  readonly retryPolicy?: Record<string, unknown>;
  /** Attempts the policy allows in all. */
  readonly maxAttempts: number;
  /** 4xx other than 408/425/429/410 are retried. */
  readonly retryClientErrors: boolean;
  /** 410 dead-letters instead of canceling. */
  readonly on410Dead: boolean;
}

const ENDPOINTS: readonly EndpointSpec[] = [
  { name: 'a1', tenant: 'acme', eventTypes: ['*'], retryPolicy: { delays: ['1s', '2s'] }, maxAttempts: 3, retryClientErrors: false, on410Dead: false },
  {
    name: 'a2',
    tenant: 'acme',
    eventTypes: ['order.*'],
    retryPolicy: { backoff: { baseSeconds: 1, maxDelaySeconds: 2 }, maxAttempts: 4 },
    maxAttempts: 4,
    retryClientErrors: false,
    on410Dead: false,
  },
  {
    name: 'g1',
    tenant: 'globex',
    eventTypes: ['*'],
    retryPolicy: { delays: ['1s', '1s', '2s'], retryClientErrors: true },
    maxAttempts: 4,
    retryClientErrors: true,
    on410Dead: false,
  },
  {
    name: 'g2',
    tenant: 'globex',
    eventTypes: ['user.*', 'order.paid'],
    retryPolicy: { backoff: { baseSeconds: 1, maxDelaySeconds: 2, jitter: 'none' }, maxAttempts: 3, on410: 'permanent' },
    maxAttempts: 3,
    retryClientErrors: false,
    on410Dead: true,
  },
  { name: 'i1', tenant: 'initech', eventTypes: ['*'], maxAttempts: DEPLOYMENT_DEFAULT.maxAttempts, retryClientErrors: false, on410Dead: false },
  { name: 'i2', tenant: 'initech', eventTypes: ['order.*'], retryPolicy: { delays: ['2s'] }, maxAttempts: 2, retryClientErrors: false, on410Dead: false },
];

const matches = (patterns: readonly string[], type: string) =>
  patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));

type Answer = 'ok' | 'error' | 'unavailable' | 'throttled' | 'gone' | 'bad_request' | 'redirect' | 'timeout' | 'reset';

/** The receiver's mix, per request (weights in percent). */
const MIX: readonly (readonly [number, Answer])[] = [
  [55, 'ok'],
  [9, 'error'],
  [7, 'unavailable'],
  [5, 'throttled'],
  [2, 'gone'],
  [3, 'bad_request'],
  [5, 'redirect'],
  [2, 'timeout'],
  [5, 'reset'],
] as const;
const ANSWERS = MIX.map(([, a]) => a);

function retryAfter(random: () => number): string {
  const pick = random();
  if (pick < 0.4) return '1';
  if (pick < 0.8) return '2';
  return new Date(Date.now() + 2000).toUTCString();
}

/** Turns an answer kind into the receiver's reply. */
function reply(answer: Answer, random: () => number, redirectTo: string): Reply {
  switch (answer) {
    case 'ok':
      return { status: weighted(random, [[8, 200], [1, 202], [1, 204]]), body: '' };
    case 'error':
      return { status: weighted(random, [[3, 500], [1, 502]]), body: 'internal error' };
    case 'unavailable':
      return { status: 503, headers: { 'retry-after': retryAfter(random) }, body: 'busy' };
    case 'throttled':
      return random() < 0.5 ? { status: 429, headers: { 'retry-after': retryAfter(random) } } : { status: 429 };
    case 'gone':
      return { status: 410, body: 'gone' };
    case 'bad_request':
      return { status: 400, body: '{"error":"bad"}' };
    case 'redirect':
      return { status: 301, headers: { location: redirectTo } };
    case 'timeout':
      return { hang: true };
    case 'reset':
      return { destroy: true };
  }
}

interface Received {
  readonly key: string;
  readonly answer: Answer;
  readonly status: number | undefined;
  readonly signatureValid: boolean;
  readonly bodyIdMatches: boolean;
}

describe('chaos: a seeded mix of receiver failures across tenants and endpoints', () => {
  let t: TestHerald;
  let receiver: Receiver;
  const received: Received[] = [];
  const endpointIds = new Map<string, string>(); // name -> id
  const endpointById = new Map<string, EndpointSpec & { id: string; path: string }>();

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestHerald({
      sweepIntervalMs: 1000,
      sweepGraceSeconds: 30,
      env: {
        HERALD_DEFAULT_RETRY_POLICY: JSON.stringify(DEPLOYMENT_DEFAULT),
        HERALD_ALERT_WINDOW_SECONDS: String(ALERT_WINDOW_SECONDS),
        // Endpoints answering a failing mix open their circuits now and then; a probe every second (not the 60 s
        // default) lets a parked backlog go out within the run's wait, so the run covers the breaker too.
        HERALD_BREAKER_PROBE_SECONDS: '1',
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver?.close();
  });

  it(`every accepted event of ${EVENTS} reaches a final state that matches what the receiver saw (seed ${SEED})`, async () => {
    const started = Date.now();
    // --- endpoints, each on its own receiver path, each answering the seeded mix
    for (const spec of ENDPOINTS) {
      const path = `/ep/${spec.name}`;
      const res = await t.api.post('/v1/endpoints', {
        url: receiver.url(path),
        tenant: spec.tenant,
        eventTypes: spec.eventTypes,
        timeoutMs: 1000,
        description: `chaos ${spec.name}`,
        ...(spec.retryPolicy === undefined ? {} : { retryPolicy: spec.retryPolicy }),
      });
      expect(res.status, res.text).toBe(201);
      const id = res.json.id as string;
      const verifier = new Webhook(res.json.secret as string);
      endpointIds.set(spec.name, id);
      endpointById.set(id, { ...spec, id, path });
      const seen = new Map<string, number>();
      receiver.on(path, (request: ReceivedRequest) => {
        const headers = Object.fromEntries(Object.entries(request.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
        const webhookId = headers['webhook-id'] ?? '';
        const key = `${path}|${webhookId}`;
        const n = (seen.get(key) ?? 0) + 1;
        seen.set(key, n);
        const random = prng(hash32(`${SEED}|${key}|${n}`));
        const answer = weighted(random, MIX);
        const r = reply(answer, random, receiver.url(`/redirected${path}`));
        let signatureValid = false;
        let bodyIdMatches = false;
        try {
          const payload = verifier.verify(request.body, headers) as { id?: string };
          signatureValid = true;
          bodyIdMatches = payload.id === webhookId;
        } catch {
          signatureValid = false;
        }
        received.push({ key, answer, status: 'status' in r ? r.status : undefined, signatureValid, bodyIdMatches });
        return r;
      });
    }

    // --- publish: seeded tenants and types, 8 clients at once, each with an Idempotency-Key
    const random = prng(hash32(`${SEED}|events`));
    const plan = Array.from({ length: EVENTS }, (_, i) => ({
      i,
      tenant: TENANTS[Math.floor(random() * TENANTS.length)]!,
      type: EVENT_TYPES[Math.floor(random() * EVENT_TYPES.length)]!,
      size: Math.floor(random() * 2000),
    }));
    const accepted: { eventId: string; tenant: string; type: string; deliveries: { id: string; endpointId: string; status: string }[] }[] = [];
    let publish503 = 0;
    await mapLimit(plan, 8, async (p) => {
      const body = { type: p.type, tenant: p.tenant, data: { n: p.i, text: 'x'.repeat(p.size), nested: { list: [1, 'two', null, true] } } };
      for (let tries = 1; ; tries++) {
        const res = await t.api.post('/v1/events', body, { 'idempotency-key': `chaos-${SEED}-${p.i}` });
        if (res.status === 202) {
          accepted.push({ eventId: res.json.id, tenant: p.tenant, type: p.type, deliveries: res.json.deliveries });
          return;
        }
        // A 503 is Herald saying "retry with the same key"; anything else is a failure of the test.
        expect(res.status, res.text).toBe(503);
        publish503++;
        if (tries >= 5) throw new Error(`publish ${p.i} answered 503 five times`);
      }
    });
    const publishedAt = Date.now();
    expect(accepted).toHaveLength(EVENTS);

    // Fan-out: exactly one pending delivery per endpoint of the tenant subscribed to the type.
    const deliveryIds: string[] = [];
    const deliveryMeta = new Map<string, { eventId: string; endpointId: string }>();
    for (const a of accepted) {
      const expected = ENDPOINTS.filter((e) => e.tenant === a.tenant && matches(e.eventTypes, a.type)).map((e) => endpointIds.get(e.name)!);
      expect(a.deliveries.map((d) => d.endpointId).sort()).toEqual([...expected].sort());
      for (const d of a.deliveries) {
        expect(d.status).toBe('pending');
        deliveryIds.push(d.id);
        deliveryMeta.set(d.id, { eventId: a.eventId, endpointId: d.endpointId });
      }
    }
    expect(new Set(deliveryIds).size).toBe(deliveryIds.length);

    // --- wait (bounded) until every delivery is final
    const views = await waitUntilFinal(t.api, deliveryIds, { timeoutMs: 150_000, intervalMs: 2000 });
    const finalAt = Date.now();
    const open = [...views.values()].filter((v) => !FINAL_STATUSES.has(v.status));
    expect(open.map((v) => `${v.id} ${v.status} attempts=${v.attemptCount}`), 'deliveries not final in time').toEqual([]);
    expect(views.size).toBe(deliveryIds.length);

    // --- the receiver's view against Herald's
    const keyOf = (v: DeliveryRecord) => `${endpointById.get(v.endpointId)!.path}|${v.eventId}`;
    const okByKey = new Map<string, number>();
    const requestsByKey = new Map<string, number>();
    for (const r of received) {
      requestsByKey.set(r.key, (requestsByKey.get(r.key) ?? 0) + 1);
      if (r.status !== undefined && r.status >= 200 && r.status < 300) okByKey.set(r.key, (okByKey.get(r.key) ?? 0) + 1);
    }
    const badSignatures = received.filter((r) => !r.signatureValid || !r.bodyIdMatches);
    expect(badSignatures.length, 'requests whose signature did not verify or whose body id was not the webhook-id').toBe(0);
    expect(receiver.requests.filter((r) => r.path.startsWith('/redirected')).length, 'a redirect was followed').toBe(0);
    const knownKeys = new Set([...views.values()].map(keyOf));
    expect([...requestsByKey.keys()].filter((k) => !knownKeys.has(k)), 'requests for deliveries nobody accepted').toEqual([]);

    const mismatches: string[] = [];
    const policyViolations: string[] = [];
    const byStatus: Record<string, number> = {};
    const perEndpoint = new Map<string, { deliveries: number; delivered: number; dead: number; canceled: number; attempts: number; duplicates: number }>();
    let attemptsTotal = 0;
    let duplicates = 0;
    for (const v of views.values()) {
      const spec = endpointById.get(v.endpointId)!;
      const meta = deliveryMeta.get(v.id)!;
      expect(v.eventId).toBe(meta.eventId);
      byStatus[v.status] = (byStatus[v.status] ?? 0) + 1;
      attemptsTotal += v.attemptCount;
      const row = perEndpoint.get(spec.name) ?? { deliveries: 0, delivered: 0, dead: 0, canceled: 0, attempts: 0, duplicates: 0 };
      row.deliveries++;
      row.attempts += v.attemptCount;
      if (v.status === 'delivered') row.delivered++;
      if (v.status === 'dead') row.dead++;
      if (v.status === 'canceled') row.canceled++;
      const oks = okByKey.get(keyOf(v)) ?? 0;
      if (oks > 1) {
        duplicates += oks - 1;
        row.duplicates += oks - 1;
      }
      perEndpoint.set(spec.name, row);
      // delivered exactly when the receiver said 2xx
      if ((v.status === 'delivered') !== oks > 0) mismatches.push(`${v.id} is ${v.status} but the receiver answered 2xx ${oks} time(s)`);
      // every attempt that reached the receiver is in its log
      const reached = v.attempts.filter((a) => a.outcome === 'http' || a.outcome === 'timeout').length;
      if ((requestsByKey.get(keyOf(v)) ?? 0) < reached) mismatches.push(`${v.id}: ${reached} attempts reached the receiver, it logged fewer`);
      if (v.attempts.length !== v.attemptCount) mismatches.push(`${v.id}: attemptCount ${v.attemptCount} but ${v.attempts.length} attempts listed`);
      // the policy: never more attempts than allowed; a dead delivery whose last failure was retryable used them all
      if (v.attemptCount > spec.maxAttempts) policyViolations.push(`${v.id} (${spec.name}): ${v.attemptCount} attempts > ${spec.maxAttempts}`);
      const last = v.attempts[v.attempts.length - 1];
      if (v.status === 'dead' && last !== undefined) {
        const code = last.statusCode;
        const permanent = (code === 400 && !spec.retryClientErrors) || (code === 410 && spec.on410Dead);
        if (!permanent && v.attemptCount !== spec.maxAttempts) {
          policyViolations.push(`${v.id} (${spec.name}): dead after ${v.attemptCount}/${spec.maxAttempts} attempts, last ${last.outcome} ${code}`);
        }
      }
      if (v.status === 'canceled' && (last?.statusCode !== 410 || spec.on410Dead)) policyViolations.push(`${v.id} (${spec.name}): canceled after ${last?.outcome} ${last?.statusCode}`);
    }
    expect(mismatches.slice(0, 20), `${mismatches.length} deliveries disagree with the receiver`).toEqual([]);
    expect(policyViolations.slice(0, 20), `${policyViolations.length} policy violations`).toEqual([]);

    // --- dead letters: every dead delivery on the DLQ exactly once, nothing else there
    const dead = new Set([...views.values()].filter((v) => v.status === 'dead').map((v) => v.id));
    const onDlq: string[] = [];
    const foreign: string[] = [];
    await eventually(async () => {
      for (const m of await drainQueue(t.clients.sqs, t.herald.resources.deadLetterQueueUrl)) {
        const record = JSON.parse(m.Body ?? '{}') as { kind?: string; deliveryId?: string };
        if (record.kind === 'delivery_dead' && typeof record.deliveryId === 'string') onDlq.push(record.deliveryId);
        else foreign.push(m.Body ?? '');
      }
      return onDlq.length >= dead.size;
    }, 10_000, 500);
    expect(foreign, 'messages on the DLQ that are not dead-letter records').toEqual([]);
    expect([...dead].filter((id) => !onDlq.includes(id)), 'dead deliveries missing from the DLQ').toEqual([]);
    expect(onDlq.filter((id) => !dead.has(id)), 'DLQ records of deliveries that are not dead').toEqual([]);
    expect(onDlq.length, 'a dead delivery was put on the DLQ more than once').toBe(dead.size);

    // The API's dead-letter list agrees.
    const listed = new Set<string>();
    let cursor: string | null = null;
    do {
      const res = await t.api.get(`/v1/deliveries?status=dead&limit=100${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      expect(res.status, res.text).toBe(200);
      for (const d of res.json.data as { id: string }[]) listed.add(d.id);
      cursor = res.json.nextCursor as string | null;
    } while (cursor !== null);
    expect([...listed].sort()).toEqual([...dead].sort());

    // --- alerts: coalesced per endpoint; once the windows closed and the sweep flushed them they add up
    const deadByEndpoint = new Map<string, number>();
    for (const id of dead) deadByEndpoint.set(deliveryMeta.get(id)!.endpointId, (deadByEndpoint.get(deliveryMeta.get(id)!.endpointId) ?? 0) + 1);
    const alertsAddUp = () => {
      const alerted = deadLettersAlerted(t.alerts);
      return [...endpointById.keys()].every((id) => (alerted.get(id)?.deadLetters ?? 0) === (deadByEndpoint.get(id) ?? 0));
    };
    await eventually(alertsAddUp, (ALERT_WINDOW_SECONDS + 15) * 1000, 500);
    const alerted = deadLettersAlerted(t.alerts);
    for (const [id, count] of deadByEndpoint) {
      expect(alerted.get(id)?.alerts ?? 0, `endpoint ${endpointById.get(id)!.name} had dead letters and no alert`).toBeGreaterThanOrEqual(1);
      expect(alerted.get(id)?.deadLetters, `alerts of endpoint ${endpointById.get(id)!.name} do not add up to its dead letters`).toBe(count);
    }
    for (const id of alerted.keys()) expect(deadByEndpoint.has(id), `alert for ${id} without dead letters`).toBe(true);
    expect(t.alerts.filter((a) => a.kind === 'dead_letter').every((a) => a.deliveryId !== undefined && dead.has(a.deliveryId))).toBe(true);

    // --- duplicates within the stated bound; no error logged while every dependency was healthy
    expect(duplicates, `duplicates ${duplicates} above ${DUPLICATE_BOUND * 100} % of ${views.size}`).toBeLessThanOrEqual(Math.floor(views.size * DUPLICATE_BOUND));
    expect(t.logger.errors().map((l) => `${l.message} ${JSON.stringify(l.fields).slice(0, 300)}`)).toEqual([]);

    // --- the figures
    const answers = Object.fromEntries(ANSWERS.map((a) => [a, received.filter((r) => r.answer === a).length]));
    const lines = [
      `chaos (seed ${SEED}): ${EVENTS} events, ${views.size} deliveries to ${ENDPOINTS.length} endpoints of ${TENANTS.length} tenants`,
      `  final: ${JSON.stringify(byStatus)}; attempts ${attemptsTotal}; receiver requests ${received.length} ${JSON.stringify(answers)}`,
      `  dead letters on the DLQ ${onDlq.length}/${dead.size}; alerts ${t.alerts.length} (${t.alerts.filter((a) => a.kind === 'dead_letter').length} first, ${t.alerts.filter((a) => a.kind === 'summary').length} summaries) covering ${[...alerted.values()].reduce((s, a) => s + a.deadLetters, 0)} dead letters`,
      `  duplicates seen by the receiver (2xx twice for one delivery): ${duplicates} (bound ${Math.floor(views.size * DUPLICATE_BOUND)}); publish 503s retried: ${publish503}`,
      `  publish ${((publishedAt - started) / 1000).toFixed(1)} s, all final after ${((finalAt - started) / 1000).toFixed(1)} s; warnings logged: ${JSON.stringify(t.logger.summary('warn'))}`,
      ...[...perEndpoint.entries()].map(
        ([name, r]) => `  ${name}: ${r.deliveries} deliveries, ${r.delivered} delivered, ${r.dead} dead, ${r.canceled} canceled, ${r.attempts} attempts, ${r.duplicates} duplicates`,
      ),
    ];
    console.log(lines.join('\n'));
    // The mix must have exercised every kind of answer and every final state it can produce.
    for (const a of ANSWERS) expect(answers[a], `the receiver never answered ${a}`).toBeGreaterThan(0);
    expect(byStatus.delivered).toBeGreaterThan(0);
    expect(byStatus.dead).toBeGreaterThan(0);
    expect(byStatus.canceled).toBeGreaterThan(0);
  }, 240_000);
});

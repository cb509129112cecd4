/**
 * In-memory ports for the deliver use cases' unit tests: a store with the same conditional
 * semantics as the DynamoDB adapter (claim, lease, attempt count, the conditional put of a first
 * attempt), and recorders for every effect. Deliveries are found by id (the adapter locates them
 * from the id's event key and endpoint; here every seeded delivery is a stored item).
 *
 * The delivery-overhead benchmark serves the deliver handler from this store too, so its hot
 * methods (claim, recordAttempt) copy deliveries with `Object.assign` and a plain loop: V8 (Node 20)
 * takes a slow path for object spread and rest with a dozen properties (about 1 and 3 µs per copy),
 * which showed up as Herald's time in the benchmark. The copies are the same objects, keys in the
 * same order.
 */
import { newDelivery, type Attempt, type Delivery, type DeliveryMessage, type Endpoint, type HeraldEvent } from '../../../lambdas/core/model';
import type { Alerts, DeadLetterQueue, DeadLetterRecord, DeliveryQueue, HttpSender, QueuedDelivery, RetryScheduler, SendRequest, SendResult } from '../../../lambdas/ports';
import type {
  AlertWindow,
  AlertWindowStore,
  AttemptRecord,
  ClaimRequest,
  DeadLetterRegistration,
  DeliveryStore,
  DeliveryTransition,
  LoadedBatch,
  LoadedDelivery,
  LoadRequest,
  WriteResult,
} from '../../../lambdas/ports/delivery-store';
import { MemoryMetrics } from '../../support/metrics';
import type { OperationalEvent, OperationalEvents } from '../../../lambdas/ports/operational-events';
import type { TenantNotice, TenantNotices } from '../../../lambdas/ports/tenant-notices';
import { ReceiverWatch } from '../../../lambdas/use-cases/deliver/degraded';
import { DEFAULT_DELIVER_SETTINGS, type DeliverDeps, type DeliverSettings } from '../../../lambdas/use-cases/deliver/deps';

export const T0 = Date.UTC(2030, 0, 1, 0, 0, 0);

export class MemoryStore implements DeliveryStore, AlertWindowStore {
  deliveries = new Map<string, Delivery & { leaseUntil?: number }>();
  endpoints = new Map<string, Endpoint>();
  events = new Map<string, HeraldEvent>();
  attempts: Attempt[] = [];
  loads: string[][] = [];
  windows = new Map<string, AlertWindow>();

  async load(requests: readonly LoadRequest[]): Promise<LoadedBatch> {
    this.loads.push(requests.map((r) => r.deliveryId));
    const loaded = new Map<string, LoadedDelivery>();
    for (const { deliveryId } of requests) {
      const delivery = this.deliveries.get(deliveryId);
      if (!delivery) {
        loaded.set(deliveryId, { stored: false });
        continue;
      }
      const event = this.events.get(delivery.eventId);
      const endpoint = this.endpoints.get(delivery.endpointId);
      loaded.set(deliveryId, { delivery, stored: true, ...(event ? { event } : {}), ...(endpoint ? { endpoint } : {}) });
    }
    return loaded;
  }

  private claimable(id: string, attemptCount: number, now: number): (Delivery & { leaseUntil?: number }) | undefined {
    const d = this.deliveries.get(id);
    if (!d || d.attemptCount !== attemptCount || (d.status !== 'pending' && d.status !== 'retrying')) return undefined;
    if (d.leaseUntil !== undefined && d.leaseUntil >= now) return undefined;
    return d;
  }

  async claim(r: ClaimRequest): Promise<WriteResult> {
    if (!this.deliveries.has(r.delivery.id) && r.attempt === 1) {
      this.deliveries.set(r.delivery.id, Object.assign({}, r.delivery, { leaseUntil: r.leaseUntil }));
      return 'saved';
    }
    const d = this.claimable(r.delivery.id, r.attempt - 1, r.now);
    if (!d) return 'conflict';
    this.deliveries.set(d.id, Object.assign({}, d, { leaseUntil: r.leaseUntil }));
    return 'saved';
  }

  async recordAttempt(r: AttemptRecord): Promise<WriteResult> {
    let d = this.deliveries.get(r.delivery.id);
    if (!r.stored && r.leaseUntil === undefined) {
      // The adapter's conditional put of a first attempt.
      if (d) return 'conflict';
      d = r.delivery;
    } else {
      if (!d || d.attemptCount !== r.attempt.number - 1 || (d.status !== 'pending' && d.status !== 'retrying')) return 'conflict';
      const leaseHeld = r.leaseUntil === undefined ? d.leaseUntil === undefined || d.leaseUntil < r.now : d.leaseUntil === r.leaseUntil;
      if (!leaseHeld) return 'conflict';
    }
    this.attempts.push(r.attempt);
    const next: Record<string, unknown> = {};
    for (const key in d) if (key !== 'leaseUntil') next[key] = d[key as keyof typeof d];
    next.status = r.status;
    next.attemptCount = r.attempt.number;
    next.lastOutcome = r.attempt.outcome;
    next.nextAttemptAt = r.nextAttemptAt;
    next.finalReason = r.finalReason;
    next.updatedAt = r.now;
    next.attempts = [...(d.attempts ?? []), r.attempt];
    this.deliveries.set(d.id, next as unknown as Delivery);
    return 'saved';
  }

  async transition(t: DeliveryTransition): Promise<WriteResult> {
    let d: (Delivery & { leaseUntil?: number }) | undefined;
    if (!t.stored) {
      if (this.deliveries.has(t.delivery.id)) return 'conflict';
      d = t.delivery;
    } else {
      d = this.claimable(t.delivery.id, t.delivery.attemptCount, t.now);
    }
    if (!d) return 'conflict';
    this.deliveries.set(d.id, { ...d, status: t.status, nextAttemptAt: t.nextAttemptAt, finalReason: t.finalReason, updatedAt: t.now } as Delivery);
    return 'saved';
  }

  successes: string[] = [];
  async recordEndpointSuccess(endpointId: string, now: number): Promise<void> {
    this.successes.push(endpointId);
    const e = this.endpoints.get(endpointId);
    if (e) this.endpoints.set(endpointId, { ...e, health: { consecutiveFailures: 0, lastSuccessAt: now } });
  }

  failures: { endpointId: string; count: number }[] = [];
  async recordEndpointFailure(endpointId: string, now: number, count = 1): Promise<Endpoint | undefined> {
    this.failures.push({ endpointId, count });
    const e = this.endpoints.get(endpointId);
    if (!e) return undefined;
    const updated = {
      ...e,
      health: { ...e.health, consecutiveFailures: e.health.consecutiveFailures + count, lastFailureAt: now, failingSince: e.health.failingSince ?? now },
    };
    this.endpoints.set(endpointId, updated);
    return updated;
  }

  async disableEndpoint(r: { endpointId: string; reason: string; now: number; failingSince?: number }): Promise<boolean> {
    const e = this.endpoints.get(r.endpointId);
    if (!e || e.disabled) return false;
    if (r.failingSince !== undefined && e.health.failingSince !== r.failingSince) return false;
    this.endpoints.set(r.endpointId, { ...e, disabled: true, disabledReason: r.reason, updatedAt: r.now });
    return true;
  }

  async markDegraded(r: { endpointId: string; reason: string; now: number }): Promise<boolean> {
    const e = this.endpoints.get(r.endpointId);
    if (!e || e.degraded !== undefined) return false;
    this.endpoints.set(r.endpointId, { ...e, degraded: { since: r.now, reason: r.reason } });
    return true;
  }

  async clearDegraded(endpointId: string): Promise<boolean> {
    const e = this.endpoints.get(endpointId);
    if (!e || e.degraded === undefined) return false;
    const { degraded: _cleared, ...rest } = e;
    this.endpoints.set(endpointId, rest);
    return true;
  }

  /** RecentAttempts over the recorded attempts (the adapter reads them from the endpoint's deliveries). */
  async recentAttempts(endpointId: string, since: number): Promise<Attempt[]> {
    return this.attempts.filter((a) => a.startedAt >= since && this.deliveries.get(a.deliveryId)?.endpointId === endpointId);
  }

  async registerDeadLetter(r: { endpointId: string; endpointUrl: string; deliveryId: string; count?: number; now: number; windowMs: number }): Promise<DeadLetterRegistration> {
    const w = this.windows.get(r.endpointId);
    if (!w || w.windowEnd <= r.now) {
      this.windows.set(r.endpointId, {
        endpointId: r.endpointId,
        endpointUrl: r.endpointUrl,
        windowStart: r.now,
        windowEnd: r.now + r.windowMs,
        suppressed: 0,
        sampleDeliveryIds: [],
      });
      return w && w.suppressed > 0 ? { kind: 'opened', previous: w } : { kind: 'opened' };
    }
    this.windows.set(r.endpointId, {
      ...w,
      suppressed: w.suppressed + (r.count ?? 1),
      sampleDeliveryIds: w.sampleDeliveryIds.length < 10 ? [...w.sampleDeliveryIds, r.deliveryId] : w.sampleDeliveryIds,
    });
    return { kind: 'suppressed' };
  }

  async endedAlertWindows(now: number, limit: number): Promise<AlertWindow[]> {
    return [...this.windows.values()].filter((w) => w.suppressed > 0 && w.windowEnd <= now).slice(0, limit);
  }

  async closeAlertWindow(window: AlertWindow): Promise<boolean> {
    const w = this.windows.get(window.endpointId);
    if (!w || w.windowEnd !== window.windowEnd || w.suppressed !== window.suppressed) return false;
    this.windows.set(window.endpointId, { ...w, suppressed: 0, sampleDeliveryIds: [] });
    return true;
  }
}

export class ScriptedSender implements HttpSender {
  requests: SendRequest[] = [];
  constructor(private readonly answer: (request: SendRequest) => SendResult | Promise<SendResult> = () => ({ outcome: { kind: 'http', status: 200 }, latencyMs: 5 })) {}
  async send(request: SendRequest): Promise<SendResult> {
    this.requests.push(request);
    return this.answer(request);
  }
}

export class Recorder implements DeliveryQueue, RetryScheduler, DeadLetterQueue, Alerts, OperationalEvents, TenantNotices {
  queued: QueuedDelivery[] = [];
  scheduled: { name: string; at: number; message: DeliveryMessage }[] = [];
  dead: DeadLetterRecord[] = [];
  published: { subject: string; message: string }[] = [];
  operational: OperationalEvent[] = [];
  notices: TenantNotice[] = [];
  async send(messages: readonly QueuedDelivery[]): Promise<void> {
    this.queued.push(...messages);
  }
  async scheduleAt(name: string, at: number, message: DeliveryMessage): Promise<void> {
    this.scheduled.push({ name, at, message });
  }
  async put(record: DeadLetterRecord): Promise<void> {
    this.dead.push(record);
  }
  async publish(subject: string, message: string): Promise<void> {
    this.published.push({ subject, message });
  }
  async emit(event: OperationalEvent): Promise<void> {
    this.operational.push(event);
  }
  async notify(notice: TenantNotice): Promise<void> {
    this.notices.push(notice);
  }
}

export function fixture(overrides: { endpoint?: Partial<Endpoint>; delivery?: Partial<Delivery> } = {}) {
  const endpoint: Endpoint = {
    id: 'ep_1',
    url: 'https://hooks.example.com/in?token=secret',
    description: '',
    eventTypes: ['*'],
    tenant: '',
    retryPolicy: {},
    timeoutMs: 15_000,
    headers: { authorization: 'Bearer abc', 'Webhook-Id': 'forged' },
    disabled: false,
    secrets: [{ secret: 'whsec_' + Buffer.alloc(32, 7).toString('base64'), createdAt: T0 }],
    health: { consecutiveFailures: 0 },
    createdAt: T0,
    updatedAt: T0,
    ...overrides.endpoint,
  };
  const event: HeraldEvent = { id: 'evt_1', key: 'EVT1', type: 'user.created', tenant: '', data: { a: 1 }, createdAt: T0, fingerprint: 'f', fanOut: [{ endpointId: endpoint.id }] };
  const delivery: Delivery = { ...newDelivery({ id: 'dlv_1', event, endpointId: endpoint.id, now: T0 }), ...overrides.delivery };
  return { endpoint, event, delivery };
}

export interface UnitWorld {
  store: MemoryStore;
  sender: ScriptedSender;
  effects: Recorder;
  clock: { t: number; now(): number };
  logs: { level: string; message: string; fields?: Record<string, unknown> }[];
  metrics: MemoryMetrics;
  deps: DeliverDeps;
}

export function unitWorld(options: { sender?: ScriptedSender; settings?: Partial<DeliverSettings> } = {}): UnitWorld {
  const store = new MemoryStore();
  const sender = options.sender ?? new ScriptedSender();
  const effects = new Recorder();
  const clock = { t: T0, now: () => clock.t };
  const logs: UnitWorld['logs'] = [];
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) => logs.push({ level, message, ...(fields ? { fields } : {}) });
  const metrics = new MemoryMetrics();
  const deps: DeliverDeps = {
    store,
    sender,
    queue: effects,
    scheduler: effects,
    deadLetters: effects,
    alerts: effects,
    operational: effects,
    notices: effects,
    clock,
    random: () => 0.5,
    log: { info: log('info'), warn: log('warn'), error: log('error') },
    metrics,
    receivers: new ReceiverWatch(store, 0),
    settings: { defaultRetryPolicy: undefined, maxTimeoutMs: 50_000, ...DEFAULT_DELIVER_SETTINGS, ...options.settings },
  };
  return { store, sender, effects, clock, logs, metrics, deps };
}

export function seed(world: UnitWorld, overrides: Parameters<typeof fixture>[0] = {}) {
  const f = fixture(overrides);
  world.store.endpoints.set(f.endpoint.id, f.endpoint);
  world.store.events.set(f.event.id, f.event);
  world.store.deliveries.set(f.delivery.id, f.delivery);
  return f;
}

export const record = (body: unknown, messageId = 'm1', receiveCount = 1) => ({
  messageId,
  body: typeof body === 'string' ? body : JSON.stringify(body),
  attributes: { ApproximateReceiveCount: String(receiveCount) },
});

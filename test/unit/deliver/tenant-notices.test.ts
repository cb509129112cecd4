import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { ContactNotices } from '../../../lambdas/adapters/tenant-notices';
import { noticeFilterPolicy, type StoredContacts } from '../../../lambdas/core/contacts';
import type { Outcome } from '../../../lambdas/core/model';
import type { NoticeRecipients } from '../../../lambdas/ports/tenant-notices';
import { announceCircuit } from '../../../lambdas/use-cases/deliver/circuit-notices';
import { circuitNotice } from '../../../lambdas/use-cases/deliver/circuit-tenant-notice';
import { deliverOne } from '../../../lambdas/use-cases/deliver/deliver-one';
import { flushAlerts } from '../../../lambdas/use-cases/deliver/flush-alerts';
import { ScriptedSender, seed, T0, unitWorld, type UnitWorld } from './fakes';

const SECRET = 'whsec_' + Buffer.alloc(32, 9).toString('base64');
const disabled = { type: 'endpoint.disabled', data: { endpointId: 'ep_1', url: 'https://x.example/in', tenant: 'acme', reason: 'gone' } } as const;

function notices(recipients: NoticeRecipients | undefined, answer: Outcome = { kind: 'http', status: 204 }) {
  const published: { subject: string; message: string; attributes: Readonly<Record<string, string>> }[] = [];
  const sender = new ScriptedSender(() => ({ outcome: answer, latencyMs: 3 }));
  const opened: string[] = [];
  const adapter = new ContactNotices({
    contacts: { recipientsOf: async () => recipients },
    topic: { publish: async (subject, message, attributes) => void published.push({ subject, message, attributes }) },
    secrets: { open: async (sealed, context) => (opened.push(context), sealed.replace('sealed:', '')) },
    sender,
    // Signed now: the standardwebhooks library checks the timestamp against its own clock.
    clock: { now: () => Date.now() },
    randomBytes: (n) => new Uint8Array(n),
    sleep: async () => undefined,
  });
  return { adapter, published, sender, opened };
}

const withUrl = (url: string): StoredContacts => ({ url, urlSecret: `sealed:${SECRET}` });

describe('ContactNotices', () => {
  it('publishes once with the tenant and endpoint attributes, and POSTs each URL contact signed with its own secret', async () => {
    const n = notices({ tenant: 'acme', endpoint: { email: 'ep@acme.example', ...withUrl('https://acme.example/ep') }, tenantContacts: { email: 'ops@acme.example', ...withUrl('https://acme.example/ops') } });
    await n.adapter.notify({ endpointId: 'ep_1', event: disabled, subject: 'S', message: 'M' });
    expect(n.published).toEqual([{ subject: 'S', message: 'M', attributes: { tenant: 'acme', endpoint: 'ep_1' } }]);
    expect(n.sender.requests.map((r) => r.url).sort()).toEqual(['https://acme.example/ep', 'https://acme.example/ops']);
    expect(n.opened.sort()).toEqual(['contact:endpoint:ep_1:url', 'contact:tenant:acme:url']);
    for (const r of n.sender.requests) expect(new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>)).toMatchObject({ type: 'endpoint.disabled', data: disabled.data });
  });

  it('a tenant-less endpoint publishes with its endpoint only; no contacts (or no endpoint) sends nothing', async () => {
    const lone = notices({ tenant: '', endpoint: { email: 'me@example.com' } });
    await lone.adapter.notify({ endpointId: 'ep_1', event: disabled, subject: 'S', message: 'M' });
    expect(lone.published.map((p) => p.attributes)).toEqual([{ endpoint: 'ep_1' }]);
    for (const recipients of [{ tenant: 'acme' }, undefined]) {
      const none = notices(recipients);
      await none.adapter.notify({ endpointId: 'ep_1', event: disabled, subject: 'S', message: 'M' });
      expect([none.published.length, none.sender.requests.length]).toEqual([0, 0]);
    }
  });

  it('tries every contact, then throws naming how many failed', async () => {
    const n = notices({ tenant: 'acme', tenantContacts: { email: 'ops@acme.example', ...withUrl('https://acme.example/ops') } }, { kind: 'http', status: 500 });
    await expect(n.adapter.notify({ endpointId: 'ep_1', event: disabled, subject: 'S', message: 'M' })).rejects.toThrow('1 of 2 tenant notice sends failed');
    expect(n.published).toHaveLength(1);
  });

  it('filter policies name the owner: a tenant contact its tenant, an endpoint contact its endpoint', () => {
    expect(noticeFilterPolicy({ kind: 'tenant', tenant: 'acme' })).toEqual({ tenant: ['acme'] });
    expect(noticeFilterPolicy({ kind: 'endpoint', endpointId: 'ep_1' })).toEqual({ endpoint: ['ep_1'] });
  });
});

describe('tenant notices from the worker, beside the operator alerts', () => {
  const answering = (outcome: Outcome) => new ScriptedSender(() => ({ outcome, latencyMs: 5 }));
  async function deliver(w: UnitWorld, id: string) {
    const d = w.store.deliveries.get(id)!;
    await deliverOne(w.deps, { message: { deliveryId: id, attempt: 1 }, delivery: d, endpoint: w.store.endpoints.get(d.endpointId)!, event: w.store.events.get(d.eventId)! });
  }

  it('a dead letter window: the first at once, the rest in the summary; a disable once', async () => {
    const w = unitWorld({ sender: answering({ kind: 'http', status: 400 }) });
    for (let i = 1; i <= 3; i++) {
      seed(w, { endpoint: { tenant: 'acme' }, delivery: { id: `dlv_${i}`, tenant: 'acme' } });
      await deliver(w, `dlv_${i}`);
    }
    expect(w.effects.notices.map((n) => [n.endpointId, n.event.type, n.subject])).toEqual([['ep_1', 'delivery.dead', 'Herald: webhook delivery dead-lettered for hooks.example.com']]);
    w.clock.t = T0 + 300_000;
    await flushAlerts(w.deps);
    expect(w.effects.notices[1]).toMatchObject({ endpointId: 'ep_1', event: { type: 'delivery.dead', data: { summary: true, count: 2 } } });

    const v = unitWorld({ sender: answering({ kind: 'http', status: 410 }) });
    seed(v, { endpoint: { retryPolicy: { on410: 'cancel_and_disable' } } });
    await deliver(v, 'dlv_1');
    expect(v.effects.notices.map((n) => n.event.type)).toEqual(['endpoint.disabled']);
  });

  it('circuit changes: opening and closing are notices; open → half-open → open is not', () => {
    const ep = { id: 'ep_1', url: 'https://hooks.example.com/in?t=1', tenant: 'acme' };
    const closed = { state: 'closed', failures: 0 } as const;
    const open = { state: 'open', since: T0, nextProbeAt: T0 + 60_000, reason: '5 failures in a row' } as const;
    const half = { state: 'half_open', since: T0, probeDeliveryId: 'dlv_1', probeUntil: T0 + 1, reason: '5 failures in a row' } as const;
    expect(circuitNotice(ep, closed, open)?.event).toEqual({
      type: 'endpoint.circuit_opened',
      data: { endpointId: 'ep_1', url: 'https://hooks.example.com/in', tenant: 'acme', reason: '5 failures in a row', nextProbeAt: new Date(T0 + 60_000).toISOString() },
    });
    expect(circuitNotice(ep, half, closed)?.event.type).toBe('endpoint.circuit_closed');
    expect(circuitNotice(ep, open, half)).toBeUndefined();
    expect(circuitNotice(ep, half, open)).toBeUndefined();
  });

  it("the breaker's circuit announcements reach the tenant's contacts too, beside the operator's", async () => {
    const w = unitWorld();
    const ep = { id: 'ep_1', url: 'https://hooks.example.com/in', tenant: 'acme' };
    const closed = { state: 'closed', failures: 0 } as const;
    const open = { state: 'open', since: T0, nextProbeAt: T0 + 60_000, reason: '5 failures in a row' } as const;
    await announceCircuit(w.deps, ep, closed, open);
    await announceCircuit(w.deps, ep, open, closed, async () => 3);
    expect(w.effects.notices.map((n) => [n.endpointId, n.event.type])).toEqual([
      ['ep_1', 'endpoint.circuit_opened'],
      ['ep_1', 'endpoint.circuit_closed'],
    ]);
    expect(w.effects.operational.map((e) => e.type)).toEqual(['endpoint.circuit_opened', 'endpoint.circuit_closed']);
  });
});

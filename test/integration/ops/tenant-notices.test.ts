/**
 * Tenant notices through local mode's real handlers on the emulators: two tenants, each with contacts (an e-mail
 * address, subscribed to the tenant-notices topic with a filter policy that fauxqs applies, and a URL receiving signed
 * webhooks), each with a dead letter and a disabled endpoint. Each contact must see exactly its own tenant's notices.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, type ReceivedRequest, type Receiver } from '../../support/receiver';
import { startTestHerald, type TestHerald } from '../../reliability/support/local';

const TENANTS = ['north', 'south'] as const;

interface Notice {
  readonly type: string;
  readonly data: { endpointId: string; tenant?: string; summary?: boolean };
}

async function eventually<T>(read: () => T, done: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('tenant notices', () => {
  let receiver: Receiver;
  let t: TestHerald;
  const mails: string[] = [];

  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.on('/reject', () => ({ status: 422 }));
    receiver.on('/gone', () => ({ status: 410 }));
    t = await startTestHerald({ printMail: (text) => mails.push(text) });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver?.close();
  });

  it('reach only their own tenant: e-mail through the filter policy, signed webhooks to the URL', async () => {
    const setup = new Map<string, { secret: string; rejecting: string; gone: string }>();
    for (const tenant of TENANTS) {
      const contacts = await t.api.request('PUT', `/v1/tenants/${tenant}/contacts`, { body: { email: `ops@${tenant}.example`, url: receiver.url(`/notices/${tenant}`) } });
      expect(contacts.status, contacts.text).toBe(201);
      expect(contacts.json).toMatchObject({ tenant, email: `ops@${tenant}.example`, urlSecret: expect.stringMatching(/^whsec_/) });
      const rejecting = await t.api.post('/v1/endpoints', {
        url: receiver.url('/reject'),
        tenant,
        eventTypes: ['order.rejected'],
        // The endpoint's own contact: its notices only, not the tenant's other endpoints'.
        contacts: { email: `rejecting@${tenant}.example` },
      });
      const gone = await t.api.post('/v1/endpoints', { url: receiver.url('/gone'), tenant, eventTypes: ['order.gone'], retryPolicy: { on410: 'cancel_and_disable' } });
      expect([rejecting.status, gone.status]).toEqual([201, 201]);
      expect(rejecting.json.contacts).toEqual({ email: `rejecting@${tenant}.example`, url: null });
      setup.set(tenant, { secret: contacts.json.urlSecret, rejecting: rejecting.json.id, gone: gone.json.id });
    }
    for (const tenant of TENANTS) {
      expect((await t.api.post('/v1/events', { type: 'order.rejected', tenant, data: {} })).status).toBe(202);
      expect((await t.api.post('/v1/events', { type: 'order.gone', tenant, data: {} })).status).toBe(202);
    }

    for (const tenant of TENANTS) {
      const own = setup.get(tenant)!;
      await receiver.waitFor(`/notices/${tenant}`, 2, 20_000);
      const verify = new Webhook(own.secret);
      const notices = receiver.requestsTo(`/notices/${tenant}`).map((r: ReceivedRequest) => {
        const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)]));
        return verify.verify(r.body, headers) as Notice;
      });
      expect(notices.map((n) => [n.type, n.data.endpointId, n.data.tenant]).sort()).toEqual(
        [
          ['delivery.dead', own.rejecting, tenant],
          ['endpoint.disabled', own.gone, tenant],
        ].sort(),
      );
      // The other tenant's secret does not verify them: each URL contact has its own.
      const other = setup.get(TENANTS.find((x) => x !== tenant)!)!;
      const first = receiver.requestsTo(`/notices/${tenant}`)[0]!;
      expect(() => new Webhook(other.secret).verify(first.body, Object.fromEntries(Object.entries(first.headers).map(([k, v]) => [k, String(v)])))).toThrow();

      const inbox = await eventually(() => t.herald.mailboxes.inbox(`ops@${tenant}.example`), (m) => m.length >= 2, `ops@${tenant}.example's mail`);
      expect(inbox.map((m) => m.subject.replace(/:\d+/, '')).sort()).toEqual(['Herald: endpoint disabled (127.0.0.1)', 'Herald: webhook delivery dead-lettered for 127.0.0.1']);
      expect(inbox.some((m) => m.message.includes(own.rejecting))).toBe(true);
      expect(inbox.some((m) => m.message.includes(own.gone))).toBe(true);
      const endpointInbox = await eventually(() => t.herald.mailboxes.inbox(`rejecting@${tenant}.example`), (m) => m.length >= 1, `rejecting@${tenant}.example's mail`);
      expect(endpointInbox[0]!.message).toContain(own.rejecting);
    }

    // Let anything misrouted arrive, then count exactly: nobody got another tenant's (or endpoint's) notice.
    await t.herald.sweep();
    await t.herald.mailboxes.pollOnce();
    for (const tenant of TENANTS) {
      const other = setup.get(TENANTS.find((x) => x !== tenant)!)!;
      expect(receiver.requestsTo(`/notices/${tenant}`)).toHaveLength(2);
      const all = [...t.herald.mailboxes.inbox(`ops@${tenant}.example`), ...t.herald.mailboxes.inbox(`rejecting@${tenant}.example`)];
      expect(all).toHaveLength(3);
      for (const mail of all) {
        expect(mail.message).not.toContain(other.rejecting);
        expect(mail.message).not.toContain(other.gone);
      }
      expect(t.herald.mailboxes.inbox(`rejecting@${tenant}.example`).some((m) => m.message.includes(setup.get(tenant)!.gone))).toBe(false);
    }
    expect(mails.filter((m) => m.includes('TENANT NOTICE to ops@north.example'))).toHaveLength(2);
    // The operator's alerts are unchanged: one per dead letter window and per disable, every tenant's.
    expect(t.alerts.length).toBeGreaterThanOrEqual(4);
  });

  it('a changed address moves the subscription, an unchanged URL keeps its secret, and removal unsubscribes', async () => {
    const first = await t.api.request('PUT', '/v1/tenants/east/contacts', { body: { email: 'a@east.example', url: receiver.url('/east') } });
    expect(first.status).toBe(201);
    const moved = await t.api.request('PUT', '/v1/tenants/east/contacts', { body: { email: 'b@east.example', url: receiver.url('/east') } });
    expect([moved.status, moved.json.urlSecret]).toEqual([200, undefined]);
    const east = () => t.herald.mailboxes.subscriptions().filter((s) => s.owner.kind === 'tenant' && s.owner.tenant === 'east').map((s) => s.email);
    expect(east()).toEqual(['b@east.example']);
    const newUrl = await t.api.request('PUT', '/v1/tenants/east/contacts', { body: { email: 'b@east.example', url: receiver.url('/east2') } });
    expect(newUrl.json.urlSecret).toMatch(/^whsec_/);
    expect(newUrl.json.urlSecret).not.toBe(first.json.urlSecret);
    expect((await t.api.request('DELETE', '/v1/tenants/east/contacts')).status).toBe(200);
    expect(east()).toEqual([]);

    const endpoint = await t.api.post('/v1/endpoints', { url: receiver.url('/x'), tenant: 'east', contacts: { email: 'ep@east.example' } });
    const ofEndpoint = () => t.herald.mailboxes.subscriptions().filter((s) => s.owner.kind === 'endpoint' && s.owner.endpointId === endpoint.json.id);
    expect(ofEndpoint()).toHaveLength(1);
    expect((await t.api.request('PATCH', `/v1/endpoints/${endpoint.json.id}`, { body: { contacts: null } })).json.contacts).toBeNull();
    expect(ofEndpoint()).toHaveLength(0);
    const again = await t.api.request('PATCH', `/v1/endpoints/${endpoint.json.id}`, { body: { contacts: { email: 'ep@east.example', url: receiver.url('/ep') } } });
    expect(again.json.contacts).toEqual({ email: 'ep@east.example', url: receiver.url('/ep'), urlSecret: expect.stringMatching(/^whsec_/) });
    expect((await t.api.request('GET', `/v1/endpoints/${endpoint.json.id}`)).json.contacts).toEqual({ email: 'ep@east.example', url: receiver.url('/ep') });
    expect((await t.api.request('DELETE', `/v1/endpoints/${endpoint.json.id}`)).status).toBe(200);
    expect(ofEndpoint()).toHaveLength(0);
  });

  it('refuses bad contacts with the path of each mistake, and an address already used by another owner', async () => {
    const bad = await t.api.request('PUT', '/v1/tenants/north/contacts', { body: { email: 'not an address', url: 'ftp://x', phone: '1' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['email', 'phone', 'url']);
    const empty = await t.api.request('PUT', '/v1/tenants/north/contacts', { body: {} });
    expect(empty.json.error.details).toEqual([{ path: '', message: 'must have an email, a url, or both' }]);
    const endpoint = await t.api.post('/v1/endpoints', { url: receiver.url('/x'), tenant: 'north', contacts: { email: 'nope' } });
    expect(endpoint.status).toBe(400);
    expect(endpoint.json.error.details).toEqual([{ path: 'contacts.email', message: expect.stringContaining('must be an e-mail address') }]);
    const taken = await t.api.request('PUT', '/v1/tenants/west/contacts', { body: { email: 'ops@north.example' } });
    expect(taken.status).toBe(409);
  });
});

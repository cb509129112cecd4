/**
 * Which fields of an endpoint are secret at rest, and the contexts they are sealed under: the signing secrets and
 * the header values (receivers' credentials). The API seals them before every write; only the deliver worker opens
 * them, to sign and send. Everything else (views, lists, fan-out) works with the sealed values and never needs the
 * key. The cipher itself is the SecretBox port (lambdas/adapters/secret-box.ts).
 */
import { headerMap } from '../core/header-map';
import type { Endpoint } from '../core/model';
import type { SecretBox } from '../ports';
import type { DeliveryStore, LoadedBatch, LoadedDelivery } from '../ports/delivery-store';

/**
 * What the API shows for a header value after creation. Sent back in a PATCH (a client that read, edited and wrote
 * back the whole map), it keeps the stored value of that header.
 */
export const HEADER_VALUE_MASK = '********';

/** The contexts values are sealed under: the endpoint and the field, so a value only opens where it was sealed. */
export const sealContext = {
  secret: (endpointId: string) => `endpoint:${endpointId}:secret`,
  header: (endpointId: string, name: string) => `endpoint:${endpointId}:header:${name.toLowerCase()}`,
} as const;

/** An endpoint with its signing secrets and header values sealed for storage. */
export async function sealEndpointSecrets<E extends Pick<Endpoint, 'id' | 'secrets' | 'headers'>>(box: SecretBox, endpoint: E): Promise<E> {
  return {
    ...endpoint,
    secrets: await Promise.all(endpoint.secrets.map(async (s) => ({ ...s, secret: await box.seal(s.secret, sealContext.secret(endpoint.id)) }))),
    headers: await sealHeaders(box, endpoint.id, endpoint.headers),
  };
}

/** Header values sealed for storage (a null-prototype map, like every header map). */
export async function sealHeaders(box: SecretBox, endpointId: string, headers: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.keys(headers).map(async (name) => [name, await box.seal(headers[name]!, sealContext.header(endpointId, name))] as const),
  );
  return headerMap(entries);
}

/** An endpoint as stored, with its secrets and header values opened: what the worker signs and sends with. */
export async function openEndpointSecrets(box: SecretBox, endpoint: Endpoint): Promise<Endpoint> {
  const [secrets, headers] = await Promise.all([
    Promise.all(endpoint.secrets.map(async (s) => ({ ...s, secret: await box.open(s.secret, sealContext.secret(endpoint.id)) }))),
    Promise.all(Object.keys(endpoint.headers).map(async (name) => [name, await box.open(endpoint.headers[name]!, sealContext.header(endpoint.id, name))] as const)),
  ]);
  return { ...endpoint, secrets, headers: headerMap(headers) };
}

/**
 * The deliver worker's store, whose batch loads yield endpoints with their secrets and headers opened. Every other
 * call goes to `store` unchanged. A value that does not open (tampered, or sealed for another endpoint) fails the
 * load, so the batch comes back and nothing is sent unsigned or with a wrong header.
 */
export function withOpenedEndpoints<S extends Pick<DeliveryStore, 'load'>>(store: S, box: SecretBox): S {
  const opened = Object.create(store) as S;
  opened.load = async (ids) => {
    const batch: LoadedBatch = await store.load(ids);
    // Each endpoint once, however many deliveries of the batch go to it.
    const openedById = new Map<string, Promise<Endpoint>>();
    const out = new Map<string, LoadedDelivery>();
    await Promise.all(
      [...batch].map(async ([deliveryId, loaded]) => {
        if (loaded.endpoint === undefined) {
          out.set(deliveryId, loaded);
          return;
        }
        const endpoint = loaded.endpoint;
        let pending = openedById.get(endpoint.id);
        if (pending === undefined) {
          pending = openEndpointSecrets(box, endpoint);
          openedById.set(endpoint.id, pending);
        }
        out.set(deliveryId, { ...loaded, endpoint: await pending });
      }),
    );
    return out;
  };
  return opened;
}


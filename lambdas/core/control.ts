/**
 * Control messages of the circuit breaker: they travel on the delivery queue beside the delivery messages but name
 * an endpoint, not a delivery.
 *
 * - `probe`: the endpoint's circuit is open and its next probe may be due; the worker takes the oldest parked
 *   delivery as the probe (or waits, or closes the circuit when nothing is parked). Sent with a delay when the
 *   circuit opens (up to the SQS maximum of 900 s; longer intervals rely on the sweep) and by the sweep.
 * - `release`: the circuit closed; release the next parked deliveries (oldest first, after `after`, the sort key of
 *   the last one released) at the bounded rate, then send the next step while more remain.
 */

export type ControlMessage =
  | { readonly control: 'probe'; readonly endpointId: string }
  | { readonly control: 'release'; readonly endpointId: string; readonly after?: string };

/**
 * The control message a parsed message body holds, or undefined when it holds none (it may be a delivery message).
 * The worker parses each body once and asks this first.
 */
export function controlMessageOf(value: unknown): ControlMessage | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { control, endpointId, after } = value as Record<string, unknown>;
  if (typeof endpointId !== 'string' || endpointId.length === 0 || endpointId.length > 200) return undefined;
  if (control === 'probe') return { control, endpointId };
  if (control === 'release') {
    if (after === undefined) return { control, endpointId };
    if (typeof after === 'string' && after.length > 0 && after.length <= 400) return { control, endpointId, after };
  }
  return undefined;
}

/**
 * Operational events: what Herald tells its operator about itself, as webhooks to a URL the deployment names (in
 * addition to the SNS e-mail, not instead of it). Svix calls these operational webhooks.
 *
 * Any use case that notices something an operator should hear about calls {@link OperationalEvents.emit}: the
 * deliver worker (endpoint disabled, dead letters), the sweep (coalesced dead-letter summaries), the circuit
 * breaker (issue 11: circuit opened and closed), the policy work (issue 15: endpoint degraded).
 */

/** What every endpoint event says about its endpoint. */
export interface EndpointRef {
  readonly endpointId: string;
  /** Scheme, host and path: the query string is left out, receivers sometimes put tokens there. */
  readonly url: string;
  /** '' when the endpoint has no tenant. */
  readonly tenant: string;
}

export type OperationalEvent =
  | { readonly type: 'endpoint.disabled'; readonly data: EndpointRef & { readonly reason: string } }
  | {
      readonly type: 'endpoint.circuit_opened';
      readonly data: EndpointRef & { readonly reason: string; /** ISO-8601 */ readonly nextProbeAt?: string };
    }
  | { readonly type: 'endpoint.circuit_closed'; readonly data: EndpointRef & { /** Deliveries waiting to be released. */ readonly parked?: number } }
  | { readonly type: 'endpoint.degraded'; readonly data: EndpointRef & { readonly reason: string } }
  | { readonly type: 'endpoint.recovered'; readonly data: EndpointRef & { /** ISO-8601: when the warning was raised. */ readonly degradedSince: string } }
  | {
      readonly type: 'delivery.dead';
      /**
       * The first dead letter of an endpoint in an alert window names the delivery; the ones the window held back
       * come later in one summary (`summary: true`, with their count and some of their ids), exactly as the e-mail
       * alert coalesces them.
       */
      readonly data:
        | (EndpointRef & {
              readonly summary: false;
              readonly deliveryId: string;
              readonly eventId: string;
              readonly eventType: string;
              readonly attempts: number;
              readonly reason: string;
              readonly lastOutcome?: string;
            })
        | (Omit<EndpointRef, 'tenant'> & {
              readonly summary: true;
              readonly count: number;
              /** ISO-8601 */
              readonly windowStart: string;
              readonly windowEnd: string;
              readonly sampleDeliveryIds: readonly string[];
            });
    };

export type OperationalEventType = OperationalEvent['type'];

export interface OperationalEvents {
  /**
   * Sends the event to the operator's URL (when the deployment names one; otherwise does nothing). Best effort,
   * like the e-mail: a few quick tries, then the failure is thrown for the caller to log. It never blocks a
   * delivery.
   */
  emit(event: OperationalEvent): Promise<void>;
}

/** The deployment names no operational webhook URL: there is nowhere to send, which is not an error. */
export const NO_OPERATIONAL_EVENTS: OperationalEvents = { emit: async () => undefined };

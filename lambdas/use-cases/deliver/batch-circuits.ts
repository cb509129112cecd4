/**
 * The circuits of one batch's endpoints: each is loaded with its endpoint, every event of the batch (a record about
 * to be sent, an attempt's verdict) is folded through the pure state machine in order, and what changed is saved
 * once per endpoint after the batch (see circuit-effects.ts). No I/O here.
 */
import { CLOSED, stepCircuit, type AttemptVerdict, type Circuit, type CircuitAction, type CircuitSettings } from '../../core/circuit';

/** What the batch did to one endpoint's circuit. */
export interface CircuitChange {
  readonly endpointId: string;
  /** As loaded: the save is conditioned on it, so two workers never overwrite each other's transition blindly. */
  readonly before: Circuit;
  readonly after: Circuit;
  /** This batch opened the circuit (or a probe failed and it opened again): send the next probe message. */
  readonly probeAt?: number;
  /** This batch closed it with deliveries parked: start releasing them. */
  readonly release: boolean;
  /**
   * An attempt of this batch was parked by the circuit (a failure counted while it opened or was open). Should the
   * batch's change not stand (another worker's does, and it may be closed by now), the endpoint is looked at again.
   */
  readonly parked: boolean;
  /** There is something to save: the circuit moved, a probe is due, or a release must start. */
  readonly save: boolean;
}

interface Tracked {
  before: Circuit;
  current: Circuit;
  readonly settings: CircuitSettings;
  probeAt?: number;
  release: boolean;
  parked: boolean;
}

export class BatchCircuits {
  private readonly tracked = new Map<string, Tracked>();

  /** Starts tracking an endpoint (once per batch; later calls return the same state). */
  private track(endpointId: string, stored: Circuit | undefined, settings: CircuitSettings): Tracked {
    let t = this.tracked.get(endpointId);
    if (t === undefined) {
      const before = stored ?? CLOSED;
      t = { before, current: before, settings, release: false, parked: false };
      this.tracked.set(endpointId, t);
    }
    return t;
  }

  private apply(t: Tracked, action: CircuitAction): CircuitAction {
    switch (action.kind) {
      case 'park_failed':
        t.parked = true;
        if (action.opened) t.probeAt = action.nextProbeAt;
        break;
      case 'reopened':
        t.parked = true;
        t.probeAt = action.nextProbeAt;
        break;
      case 'closed':
        t.probeAt = undefined;
        t.release = t.release || action.release;
        break;
      case 'send':
        if (action.release === true) t.release = true;
        break;
      default:
        break;
    }
    return action;
  }

  /** A record of the endpoint is about to be attempted: send it, park it, or send it as the probe. */
  dispatch(endpoint: { readonly id: string; readonly circuit?: Circuit }, settings: CircuitSettings, deliveryId: string, now: number): CircuitAction {
    const t = this.track(endpoint.id, endpoint.circuit, settings);
    const step = stepCircuit(t.current, { kind: 'dispatch', deliveryId, now }, t.settings);
    t.current = step.circuit;
    return this.apply(t, step.action);
  }

  /** An attempt of the endpoint ended with `verdict`; `reason` describes a failure. */
  attempt(
    endpoint: { readonly id: string; readonly circuit?: Circuit },
    settings: CircuitSettings,
    deliveryId: string,
    verdict: AttemptVerdict,
    reason: string,
    now: number,
  ): CircuitAction {
    const t = this.track(endpoint.id, endpoint.circuit, settings);
    const step = stepCircuit(t.current, { kind: 'attempt', deliveryId, verdict, reason, now }, t.settings);
    t.current = step.circuit;
    return this.apply(t, step.action);
  }

  /** The circuit of an endpoint as last saved (or loaded): what the next save is conditioned on. */
  before(endpointId: string): Circuit {
    return this.tracked.get(endpointId)?.before ?? CLOSED;
  }

  /** The circuit of an endpoint as the batch has it now (as loaded when the batch has not touched it). */
  current(endpoint: { readonly id: string; readonly circuit?: Circuit }): Circuit {
    return this.tracked.get(endpoint.id)?.current ?? endpoint.circuit ?? CLOSED;
  }

  /**
   * The endpoint's circuit as the batch has it now was saved (a probe's open → half-open move is saved at once,
   * before the probe is sent): later saves of the batch are conditioned on it.
   */
  saved(endpointId: string): void {
    const t = this.tracked.get(endpointId);
    if (t !== undefined) t.before = t.current;
  }

  /** The saved circuit could not be written (another worker changed it): forget the batch's change. */
  discard(endpointId: string): void {
    this.tracked.delete(endpointId);
  }

  /** Every endpoint whose circuit the batch changed (or whose circuit parked an attempt), with what must follow. */
  changes(): CircuitChange[] {
    const out: CircuitChange[] = [];
    for (const [endpointId, t] of this.tracked) {
      const save = !sameCircuit(t.before, t.current) || t.probeAt !== undefined || t.release;
      if (!save && !t.parked) continue;
      out.push({
        endpointId,
        before: t.before,
        after: t.current,
        ...(t.probeAt === undefined ? {} : { probeAt: t.probeAt }),
        release: t.release,
        parked: t.parked,
        save,
      });
    }
    return out;
  }
}

/** Whether two circuits are the same stored value. */
export function sameCircuit(a: Circuit, b: Circuit): boolean {
  switch (a.state) {
    case 'closed':
      return b.state === 'closed' && a.failures === b.failures;
    case 'open':
      return b.state === 'open' && a.since === b.since && a.nextProbeAt === b.nextProbeAt && a.reason === b.reason;
    case 'half_open':
      return (
        b.state === 'half_open' &&
        a.since === b.since &&
        a.probeDeliveryId === b.probeDeliveryId &&
        a.probeUntil === b.probeUntil &&
        a.reason === b.reason
      );
  }
}

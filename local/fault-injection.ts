/**
 * Failure injection for the AWS traffic of a running local Herald: the reliability suite uses it to make
 * DynamoDB, SQS, SNS or the Scheduler fail for a while and to show that Herald answers 503 rather than a 202 it
 * cannot keep, and that deliveries resume once the dependency is back.
 *
 * A fault is a middleware added at runtime to a real SDK v3 client, placed inside the SDK's retry loop: while
 * the fault is on, every matching request fails the way an unreachable service does (a network error with code
 * `ECONNREFUSED`, which the SDK treats as transient, so its own retries run and then give up, exactly as they
 * would against a real outage). Nothing reaches the emulator. The handlers of local mode share their clients with
 * `LocalHerald.emulators.clients` (and the Scheduler client with `LocalHerald.schedulerClient`), so a fault on
 * those clients is a fault in Herald's own traffic.
 */

/** The part of an SDK v3 client (or of the DynamoDB document client, which shares its client's stack) used here. */
export interface MiddlewareClient {
  readonly middlewareStack: {
    add(middleware: unknown, options: Record<string, unknown>): void;
    remove(toRemove: string): boolean;
  };
}

export interface FaultOptions {
  /** Fail only these operations (SDK command names, e.g. `SendMessageCommand`, `SendMessageBatchCommand`); all when absent. */
  readonly commands?: readonly string[];
  /**
   * Fail only the requests this returns true for, given the command name and the command's input as the
   * caller wrote it (for the document client: plain JavaScript values, before marshalling). E.g. only the
   * PutCommand of an event item, to fail an intake half-way.
   */
  readonly match?: (commandName: string, input: any) => boolean;
}

/** Turns the faults of one injection on and off and counts the requests it failed. */
export interface FaultSwitch {
  /** From now on matching requests fail (optionally only some commands). */
  fail(options?: FaultOptions): void;
  /** From now on every request goes through again. */
  heal(): void;
  readonly failing: boolean;
  /** Requests failed so far (SDK retries included: one operation may count several times). */
  readonly injected: number;
  /** Failed requests per command name. */
  readonly injectedByCommand: Readonly<Record<string, number>>;
  /** Every request seen per command name, failed or not (SDK retries included). */
  readonly seenByCommand: Readonly<Record<string, number>>;
  /** Removes the middleware. */
  remove(): void;
}

let counter = 0;

/** The error a request gets while its fault is on: what Node reports when nothing listens on the port. */
export function outageError(label: string, commandName: string): Error {
  return Object.assign(new Error(`injected fault: ${label} is unreachable (${commandName})`), {
    name: 'InjectedOutageError',
    code: 'ECONNREFUSED',
    $injected: true,
  });
}

interface FaultState {
  failing: boolean;
  options: FaultOptions;
  injected: number;
  readonly byCommand: Record<string, number>;
  readonly seen: Record<string, number>;
}

/** Where the input-capturing middleware leaves the command's input for the fault middleware. */
const INPUT = Symbol('heraldFaultInput');

type Context = { commandName?: string; [INPUT]?: unknown };
type Next = (args: unknown) => Promise<unknown>;

/** Keeps the command's input (initialize step: as the caller wrote it) in the handler context. */
const captureInput = (next: Next, context: Context) => async (args: unknown) => {
  context[INPUT] = (args as { input?: unknown }).input;
  return next(args);
};

function faultMiddleware(state: FaultState, label: string) {
  return (next: Next, context: Context) =>
    async (args: unknown): Promise<unknown> => {
      const command = context.commandName ?? 'unknown';
      state.seen[command] = (state.seen[command] ?? 0) + 1;
      const { commands, match } = state.options;
      if (state.failing && (commands === undefined || commands.includes(command)) && (match === undefined || match(command, context[INPUT]))) {
        state.injected++;
        state.byCommand[command] = (state.byCommand[command] ?? 0) + 1;
        throw outageError(label, command);
      }
      return next(args);
    };
}

function addTo(client: MiddlewareClient, name: string, middleware: unknown): void {
  client.middlewareStack.add(captureInput, { step: 'initialize', priority: 'high', name: `${name}Input`, override: true });
  // finalizeRequest at low priority runs inside the SDK's retry middleware (finalizeRequest, high priority).
  client.middlewareStack.add(middleware, { step: 'finalizeRequest', priority: 'low', name, override: true });
}

function removeFrom(client: MiddlewareClient, name: string): void {
  client.middlewareStack.remove(name);
  client.middlewareStack.remove(`${name}Input`);
}

function switchOver(state: FaultState, remove: () => void): FaultSwitch {
  return {
    fail(options = {}) {
      state.options = options;
      state.failing = true;
    },
    heal() {
      state.failing = false;
    },
    get failing() {
      return state.failing;
    },
    get injected() {
      return state.injected;
    },
    get injectedByCommand() {
      return { ...state.byCommand };
    },
    get seenByCommand() {
      return { ...state.seen };
    },
    remove,
  };
}

const newState = (): FaultState => ({ failing: false, options: {}, injected: 0, byCommand: {}, seen: {} });

/**
 * Adds a switchable outage to an SDK client (healthy until {@link FaultSwitch.fail}). `label` names the
 * dependency in the injected error's message.
 */
export function injectFaults(client: MiddlewareClient, label: string): FaultSwitch {
  const state = newState();
  const name = `heraldFaultInjection${++counter}`;
  addTo(client, name, faultMiddleware(state, label));
  return switchOver(state, () => {
    state.failing = false;
    removeFrom(client, name);
  });
}

/** The clients of a running local Herald, as `startLocalHerald` exposes them. */
export interface HeraldClients {
  readonly emulators: { readonly clients: { readonly doc: MiddlewareClient; readonly sqs: MiddlewareClient; readonly sns: MiddlewareClient } };
  readonly schedulerClient: MiddlewareClient;
}

export interface HeraldFaults {
  /** DynamoDB (the document client and its DynamoDB client share one middleware stack). */
  readonly dynamo: FaultSwitch;
  /** SQS: the delivery queue, the dead-letter queue, the poller, the alert printer and the Scheduler emulator's sends. */
  readonly sqs: FaultSwitch;
  readonly sns: FaultSwitch;
  readonly scheduler: FaultSwitch;
  /** Heals every dependency and removes every hook. */
  remove(): void;
}

/** Switchable outages of each AWS dependency of a running local Herald, all healthy at first. */
export function injectHeraldFaults(herald: HeraldClients): HeraldFaults {
  const { clients } = herald.emulators;
  const dynamo = injectFaults(clients.doc, 'DynamoDB');
  const sqs = injectFaults(clients.sqs, 'SQS');
  const sns = injectFaults(clients.sns, 'SNS');
  const scheduler = injectFaults(herald.schedulerClient, 'EventBridge Scheduler');
  return {
    dynamo,
    sqs,
    sns,
    scheduler,
    remove() {
      for (const s of [dynamo, sqs, sns, scheduler]) s.remove();
    },
  };
}

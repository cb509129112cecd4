/**
 * Setting contacts (of a tenant or of one endpoint), shared by the tenant-contacts routes and endpoint create, update
 * and delete: the e-mail address gets a subscription on the tenant-notices topic, filtered to its owner, and the URL
 * a signing secret of its own, sealed, returned once.
 */
import { HeraldError, UnavailableError } from '../../core/errors';
import { contactSealContext, ownerName, type ContactOwner, type StoredContacts } from '../../core/contacts';
import { generateSecret } from '../../core/signing';
import type { SecretBox } from '../../ports';
import type { NoticeSubscriptions } from '../../ports/tenant-notices';

/** A URL contact's signing key: 32 random bytes, like an endpoint's. */
const CONTACT_SECRET_BYTES = 32;

/** Contacts as a client sets them (validated): an address and/or a URL. */
export interface ContactsInput {
  readonly email?: string;
  readonly url?: string;
}

export interface ContactsDeps {
  readonly subscriptions: NoticeSubscriptions;
  readonly secrets: SecretBox;
  readonly randomBytes: (size: number) => Uint8Array;
}

/** A change of contacts, prepared: what to store, the URL's new secret (once), and the steps around the store write. */
export interface ContactsChange {
  /** What to store; undefined when the owner keeps no contact. */
  readonly stored: StoredContacts | undefined;
  /** The URL contact's new signing secret: only when the URL is new or changed. */
  readonly urlSecret?: string;
  /** After the store write: removes the subscription of an address no longer used. */
  commit(): Promise<void>;
  /** When the store write failed: removes the subscription this change made. */
  rollback(): Promise<void>;
}

/**
 * Prepares replacing `current` by `input` (null: no contacts). An unchanged address keeps its subscription and an
 * unchanged URL its secret; a new address is subscribed now (so the store never names a subscription that does not
 * exist), the old one is removed by `commit` once the store holds the new state.
 */
export async function prepareContacts(
  deps: ContactsDeps,
  owner: ContactOwner,
  current: StoredContacts | undefined,
  input: ContactsInput | null,
): Promise<ContactsChange> {
  const email = input?.email;
  const url = input?.url;
  const keepSubscription = email !== undefined && email === current?.email && current.emailSubscription !== undefined;
  const retired = !keepSubscription ? current?.emailSubscription : undefined;
  let subscribed: string | undefined;
  if (email !== undefined && !keepSubscription) {
    try {
      subscribed = await deps.subscriptions.subscribe(email, owner);
    } catch (error) {
      if (error instanceof HeraldError) throw error;
      throw unavailable(`could not subscribe ${email} to the notices of ${ownerName(owner)}; nothing was changed, retry`, error);
    }
  }
  let urlSecret: string | undefined;
  let sealedSecret: string | undefined;
  if (url !== undefined && url === current?.url && current.urlSecret !== undefined) {
    sealedSecret = current.urlSecret;
  } else if (url !== undefined) {
    urlSecret = generateSecret(deps.randomBytes(CONTACT_SECRET_BYTES));
    sealedSecret = await deps.secrets.seal(urlSecret, contactSealContext(owner));
  }
  const subscription = keepSubscription ? current.emailSubscription : subscribed;
  const stored: StoredContacts | undefined =
    email === undefined && url === undefined
      ? undefined
      : {
          ...(email === undefined ? {} : { email }),
          ...(subscription === undefined ? {} : { emailSubscription: subscription }),
          ...(url === undefined ? {} : { url }),
          ...(sealedSecret === undefined ? {} : { urlSecret: sealedSecret }),
        };
  return {
    stored,
    ...(urlSecret === undefined ? {} : { urlSecret }),
    commit: async () => {
      if (retired === undefined) return;
      try {
        await deps.subscriptions.unsubscribe(retired);
      } catch (error) {
        throw unavailable(
          `the contacts of ${ownerName(owner)} were saved, but the previous address's subscription (${retired}) could not be removed: it may still receive notices until it is unsubscribed`,
          error,
        );
      }
    },
    rollback: async () => {
      if (subscribed !== undefined) await deps.subscriptions.unsubscribe(subscribed).catch(() => undefined);
    },
  };
}

/**
 * Removes the e-mail subscription of contacts about to be deleted (with their tenant or endpoint). A failure is a 503
 * before anything is deleted, so a repeated call finishes the job.
 */
export async function removeSubscription(deps: Pick<ContactsDeps, 'subscriptions'>, owner: ContactOwner, contacts: StoredContacts | undefined): Promise<void> {
  if (contacts?.emailSubscription === undefined) return;
  try {
    await deps.subscriptions.unsubscribe(contacts.emailSubscription);
  } catch (error) {
    throw unavailable(`could not remove the e-mail subscription of ${ownerName(owner)}; nothing was deleted, retry`, error);
  }
}

/** Runs the store write between a prepared change's subscribe and its cleanup. */
export async function applyContacts<T>(change: ContactsChange, write: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await write();
  } catch (error) {
    await change.rollback();
    throw error;
  }
  await change.commit();
  return result;
}

function unavailable(message: string, cause: unknown): UnavailableError {
  const error = new UnavailableError(message);
  error.cause = cause;
  return error;
}

/**
 * ContactStore on the single table: a tenant's contacts in one item (`TENANT#<tenant>` / `CONTACTS`), an endpoint's
 * on the endpoint item (`contacts`). Notices are rare (one per alert window, disable, circuit change or degraded
 * episode), so finding an endpoint's recipients is two strongly consistent GetItems.
 */
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { StoredContacts, TenantContacts } from '../../core/contacts';
import type { ContactStore, NoticeRecipients } from '../../ports/tenant-notices';
import { keys } from './schema';
import { isConditionFailed, storeCall } from './table-io';

export class DynamoContactStore implements ContactStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  getTenantContacts(tenant: string): Promise<TenantContacts | undefined> {
    return storeCall(async () => {
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.tenantContacts(tenant), ConsistentRead: true }));
      const item = out.Item;
      if (item === undefined) return undefined;
      return { tenant, contacts: (item.contacts as StoredContacts | undefined) ?? {}, createdAt: item.createdAt as number, updatedAt: item.updatedAt as number };
    });
  }

  putTenantContacts(record: TenantContacts, expectedUpdatedAt: number | undefined): Promise<boolean> {
    return storeCall(async () => {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...keys.tenantContacts(record.tenant), entity: 'contacts', ...record },
            ...(expectedUpdatedAt === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : { ConditionExpression: 'updatedAt = :expected', ExpressionAttributeValues: { ':expected': expectedUpdatedAt } }),
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailed(error)) return false;
        throw error;
      }
    });
  }

  deleteTenantContacts(tenant: string): Promise<void> {
    return storeCall(async () => {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.tenantContacts(tenant) }));
    });
  }

  recipientsOf(endpointId: string): Promise<NoticeRecipients | undefined> {
    return storeCall(async () => {
      const out = await this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.endpoint(endpointId),
          ConsistentRead: true,
          ProjectionExpression: '#tenant, #contacts',
          ExpressionAttributeNames: { '#tenant': 'tenant', '#contacts': 'contacts' },
        }),
      );
      if (out.Item === undefined) return undefined;
      const tenant = (out.Item.tenant as string | undefined) ?? '';
      const endpoint = out.Item.contacts as StoredContacts | undefined;
      const tenantContacts = tenant === '' ? undefined : (await this.getTenantContacts(tenant))?.contacts;
      return { tenant, ...(endpoint === undefined ? {} : { endpoint }), ...(tenantContacts === undefined ? {} : { tenantContacts }) };
    });
  }
}

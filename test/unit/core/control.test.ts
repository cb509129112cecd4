import { describe, expect, it } from 'vitest';
import { controlMessageOf } from '../../../lambdas/core/control';

const parseControlMessage = (body: string) => {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    value = undefined;
  }
  return controlMessageOf(value);
};

describe('controlMessageOf', () => {
  it.each([
    ['{"control":"probe","endpointId":"ep_1"}', { control: 'probe', endpointId: 'ep_1' }],
    ['{"control":"release","endpointId":"ep_1"}', { control: 'release', endpointId: 'ep_1' }],
    ['{"control":"release","endpointId":"ep_1","after":"2026-01-01T00:00:00.000Z#K"}', { control: 'release', endpointId: 'ep_1', after: '2026-01-01T00:00:00.000Z#K' }],
  ])('%s', (body, expected) => {
    expect(parseControlMessage(body)).toEqual(expected);
  });

  it.each([
    'not json',
    'null',
    '[]',
    '{"deliveryId":"dlv_1","attempt":1}',
    '{"control":"probe"}',
    '{"control":"probe","endpointId":""}',
    '{"control":"open","endpointId":"ep_1"}',
    '{"control":"release","endpointId":"ep_1","after":""}',
    '{"control":"release","endpointId":"ep_1","after":5}',
  ])('%s is not a control message', (body) => {
    expect(parseControlMessage(body)).toBeUndefined();
  });
});

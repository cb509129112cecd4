import { describe, expect, it } from 'vitest';
import { EMF_MAX_VALUES, EmfMetrics } from '../../../lambdas/adapters/emf-metrics';

const T = Date.UTC(2030, 0, 1);

function emf() {
  const lines: string[] = [];
  const metrics = new EmfMetrics({ deployment: 'Herald', service: 'deliver', write: (l) => lines.push(l), clock: { now: () => T } });
  const docs = () => lines.map((l) => JSON.parse(l) as Record<string, unknown> & { _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } });
  return { metrics, lines, docs };
}

/**
 * Checks a document against the EMF specification's rules: the _aws root with a Timestamp and one directive, every
 * dimension and metric name a root member, at most 100 metrics and 100 values per metric.
 */
function assertValidEmf(doc: ReturnType<ReturnType<typeof emf>['docs']>[number]) {
  expect(doc._aws.Timestamp).toBe(T);
  expect(doc._aws.CloudWatchMetrics).toHaveLength(1);
  const directive = doc._aws.CloudWatchMetrics[0]!;
  expect(directive.Namespace).toBe('Herald');
  for (const set of directive.Dimensions) for (const name of set) expect(typeof doc[name]).toBe('string');
  expect(directive.Metrics.length).toBeLessThanOrEqual(100);
  for (const m of directive.Metrics) {
    const value = doc[m.Name];
    expect(['Count', 'Milliseconds']).toContain(m.Unit);
    if (Array.isArray(value)) expect(value.length).toBeLessThanOrEqual(EMF_MAX_VALUES);
    else expect(typeof value).toBe('number');
  }
}

describe('EmfMetrics', () => {
  it('writes nothing when nothing was recorded', () => {
    const { metrics, lines } = emf();
    metrics.flush();
    expect(lines).toEqual([]);
  });

  it('writes counters and latencies in one document with the Deployment dimension only', () => {
    const { metrics, docs } = emf();
    metrics.count('Delivered');
    metrics.count('Delivered');
    metrics.count('Published', 3);
    metrics.latency('AttemptLatency', 12.4);
    metrics.latency('AttemptLatency', 30);
    metrics.flush();
    const [doc, ...rest] = docs();
    expect(rest).toEqual([]);
    assertValidEmf(doc!);
    expect(doc!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['Deployment']]);
    expect(doc).toMatchObject({ Deployment: 'Herald', service: 'deliver', Delivered: 2, Published: 3, AttemptLatency: [12, 30] });
    expect(doc!._aws.CloudWatchMetrics[0]!.Metrics).toEqual([
      { Name: 'Delivered', Unit: 'Count' },
      { Name: 'Published', Unit: 'Count' },
      { Name: 'AttemptLatency', Unit: 'Milliseconds' },
    ]);
  });

  it('counts failures in total and once more per class, each class its own dimension value', () => {
    const { metrics, docs } = emf();
    metrics.failed('http_5xx');
    metrics.failed('http_5xx');
    metrics.failed('timeout');
    metrics.flush();
    const all = docs();
    all.forEach(assertValidEmf);
    expect(all[0]).toMatchObject({ Failed: 3 });
    const byClass = all.slice(1).map((d) => [d.FailureClass, d.Failed, d._aws.CloudWatchMetrics[0]!.Dimensions]);
    expect(byClass).toEqual([
      ['http_5xx', 2, [['Deployment', 'FailureClass']]],
      ['timeout', 1, [['Deployment', 'FailureClass']]],
    ]);
  });

  it('splits more than 100 samples of a latency over several documents, losing none', () => {
    const { metrics, docs } = emf();
    for (let i = 0; i < 250; i++) metrics.latency('QueueAge', i);
    metrics.count('Delivered');
    metrics.flush();
    const all = docs();
    all.forEach(assertValidEmf);
    expect(all).toHaveLength(3);
    expect(all.flatMap((d) => d.QueueAge as number[])).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(all.filter((d) => 'Delivered' in d)).toHaveLength(1);
  });

  it('starts empty after a flush and ignores values that are not measurements', () => {
    const { metrics, lines } = emf();
    metrics.count('Dead');
    metrics.flush();
    metrics.latency('AttemptLatency', Number.NaN);
    metrics.latency('AttemptLatency', -1);
    metrics.count('Dead', 0);
    metrics.flush();
    expect(lines).toHaveLength(1);
  });
});

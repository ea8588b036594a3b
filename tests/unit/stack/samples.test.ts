import { pipelines } from '../../../lib/registry';
import { indexRegistry } from '../../../lib/registry/registry';
import { deployedIndex } from '../../../stack/samples';

describe('deployedIndex', () => {
  it('leaves out the sample queue services unless the stage asks for samples, and keeps the rest', () => {
    const index = pipelines();
    const withSample = {
      ...index.registry,
      queueServices: { ...index.registry.queueServices, orders: { ...index.registry.queueServices!.thumbnails!, sample: false } },
    };
    const full = indexRegistry(withSample);

    expect(Object.keys(deployedIndex(full, { samples: true }).registry.queueServices!)).toEqual(['thumbnails', 'orders']);
    const lean = deployedIndex(full, { samples: false });
    expect(Object.keys(lean.registry.queueServices!)).toEqual(['orders']);
    // Pipelines are untouched: matching still works on the deployed index.
    expect(lean.names).toEqual(index.names);
    expect(lean.match(undefined, 'incoming/acme/orders-2026-11-20.csv')?.pipeline).toBe('orders-daily');
  });
});

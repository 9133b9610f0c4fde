import { describeLogBusContract } from '../../../test/support/contracts/log-bus.contract.js';
import { createMemoryLogBus } from './memory-log-bus.js';

describeLogBusContract('memory', async () => {
  const bus = createMemoryLogBus();
  return { a: bus, b: bus, carriesLines: true, close: () => bus.close() };
});

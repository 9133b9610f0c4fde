import { describeServerInstanceStoreContract } from '../../../test/support/contracts/server-instance-store.contract.js';
import { createMemoryServerInstanceStore } from './memory-server-instance-store.js';

describeServerInstanceStoreContract('memory', () => createMemoryServerInstanceStore());

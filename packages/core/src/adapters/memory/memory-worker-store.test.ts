import { describeWorkerStoreContract } from '../../../test/support/contracts/worker-store.contract.js';
import { createMemoryWorkerStore } from './memory-worker-store.js';

describeWorkerStoreContract('memory', () => createMemoryWorkerStore());

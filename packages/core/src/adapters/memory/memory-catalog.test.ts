import { describeProjectStoreContract } from '../../../test/support/contracts/project-store.contract.js';
import { describeResourceIndexContract } from '../../../test/support/contracts/resource-index.contract.js';
import { createMemoryProjectStore } from './memory-project-store.js';
import { createMemoryResourceIndex } from './memory-resource-index.js';

describeResourceIndexContract('memory', () => createMemoryResourceIndex());
describeProjectStoreContract('memory', () => createMemoryProjectStore());

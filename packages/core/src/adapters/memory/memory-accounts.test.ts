import { describeRevocationStoreContract } from '../../../test/support/contracts/revocation-store.contract.js';
import { describeUserStoreContract } from '../../../test/support/contracts/user-store.contract.js';
import { createMemoryRevocationStore } from './memory-revocation-store.js';
import { createMemoryUserStore } from './memory-user-store.js';

describeUserStoreContract('memory', () => createMemoryUserStore());
describeRevocationStoreContract('memory', () => createMemoryRevocationStore());

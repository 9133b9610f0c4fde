import { describeRevocationStoreContract } from '../../testing/revocation-store.contract.js';
import { describeUserStoreContract } from '../../testing/user-store.contract.js';
import { createMemoryRevocationStore } from './memory-revocation-store.js';
import { createMemoryUserStore } from './memory-user-store.js';

describeUserStoreContract('memory', () => createMemoryUserStore());
describeRevocationStoreContract('memory', () => createMemoryRevocationStore());

import { describeJobStoreContract } from '../../../test/support/contracts/job-store.contract.js';
import { describeMetricStoreContract } from '../../../test/support/contracts/metric-store.contract.js';
import { createMemoryJobStore } from './memory-job-store.js';
import { createMemoryMetricStore } from './memory-metric-store.js';

describeJobStoreContract('memory', () => createMemoryJobStore());
describeMetricStoreContract('memory', () => createMemoryMetricStore());

import { describeAnnotationStoreContract } from '../../../test/support/contracts/annotation-store.contract.js';
import { describeBlobStoreContract } from '../../../test/support/contracts/blob-store.contract.js';
import { describeDatasetStoreContract } from '../../../test/support/contracts/dataset-store.contract.js';
import { createMemoryAnnotationStore } from './memory-annotation-store.js';
import { createMemoryBlobStore } from './memory-blob-store.js';
import { createMemoryDatasetStore } from './memory-dataset-store.js';

describeBlobStoreContract('memory', () => createMemoryBlobStore());
describeDatasetStoreContract('memory', () => createMemoryDatasetStore());
describeAnnotationStoreContract('memory', () => createMemoryAnnotationStore());

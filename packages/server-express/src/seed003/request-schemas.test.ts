import { describe, expect, test } from 'vitest';
import { generateRequestErrors, batchGenerateRequestErrors } from './generation-request.js';
import { datasetProcessErrors } from './dataset-requests.js';
import { trainRequestErrors } from './training-request.js';
import { Seed003BatchGenerateRequestSchema, Seed003DatasetProcessRequestSchema, Seed003GenerateRequestSchema, Seed003TrainRequestSchema } from './request-schemas.js';

// The documented schemas must describe the validators: what the validator accepts, the schema accepts,
// and a value the schema's bounds refuse, the validator refuses too.
describe('documented seed 003 request schemas agree with the validators', () => {
  test.each([
    { schema: Seed003GenerateRequestSchema, errors: generateRequestErrors, body: { prompt: 'x', max_length: 2048, temperature: 0, top_p: 1, top_k: 1, num_return_sequences: 5, model_path: 'm' } },
    { schema: Seed003BatchGenerateRequestSchema, errors: batchGenerateRequestErrors, body: { prompts: ['a'], temperature: 2 } },
    { schema: Seed003TrainRequestSchema, errors: trainRequestErrors, body: { dataset_path: 'p', config: { learning_rate: 1, batch_size: 1, num_epochs: 1, output_dir: 'o', quantization: null }, lora_config: { r: 1, lora_alpha: 1, lora_dropout: 0 } } },
    { schema: Seed003DatasetProcessRequestSchema, errors: datasetProcessErrors, body: { dataset_id: 'd', output_name: 'o', train_ratio: 1, val_ratio: 0, test_ratio: 0, template: 't' } },
  ])('$body is valid for both', ({ schema, errors, body }) => {
    expect(errors(body)).toEqual([]);
    expect(schema.safeParse(body).success).toBe(true);
  });

  test.each([
    { schema: Seed003GenerateRequestSchema, errors: generateRequestErrors, body: { prompt: 'x', max_length: 2049 } },
    { schema: Seed003GenerateRequestSchema, errors: generateRequestErrors, body: { prompt: 'x', top_p: 0 } },
    { schema: Seed003BatchGenerateRequestSchema, errors: batchGenerateRequestErrors, body: { prompts: Array.from({ length: 51 }, () => 'p') } },
    { schema: Seed003TrainRequestSchema, errors: trainRequestErrors, body: { dataset_path: 'p', config: { quantization: 'int2' } } },
    { schema: Seed003DatasetProcessRequestSchema, errors: datasetProcessErrors, body: { dataset_id: 'd', output_name: 'o', val_ratio: 1 } },
  ])('$body is refused by both', ({ schema, errors, body }) => {
    expect(errors(body)).not.toEqual([]);
    expect(schema.safeParse(body).success).toBe(false);
  });
});

import { formatSizeWithUnit, NotFoundError, type Dataset, type InstructionDataset, type ResourceEntry } from '@yoloops/core';
import type { Response } from 'express';
import type { z } from 'zod';
import type { AppServices } from '../services.js';
import { entryOf, isNotFound } from './catalog-access.js';
import type { CatalogDatasetSchema } from './catalog.schemas.js';
import { datasetView, indexed, isRecordId } from './catalog-views.js';

type CatalogDataset = z.infer<typeof CatalogDatasetSchema>;

/** A detection dataset (`ds_…`) or an instruction dataset (`ids_…`): both live under the `dataset` kind of the resource index, so one number names one dataset. */
export type AnyDataset = { kind: 'detection'; ds: Dataset } | { kind: 'instruction'; ds: InstructionDataset };

export const isInstructionId = (id: string): boolean => id.startsWith('ids_');
const idOf = (d: AnyDataset): string => (d.kind === 'detection' ? d.ds.dataset_id : d.ds.id);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const missing = <T>(error: unknown): Promise<T | undefined> => (isNotFound(error) ? Promise.resolve(undefined) : Promise.reject(error));

/** The 404 of every dataset route under `/api/v1/datasets`: a missing and a hidden dataset read the same. */
export const datasetNotFound = (): NotFoundError => new NotFoundError('Dataset not found', { reason: 'not_found' });

/** Seed 002's dataset shape with seed 003's fields (`path`, `size_mb`, `samples_count`) for an instruction dataset. */
export function instructionDatasetView(entry: ResourceEntry, ds: InstructionDataset): CatalogDataset {
  return {
    id: entry.number, dataset_id: ds.id, name: text(entry.meta.name) ?? ds.name, description: text(entry.meta.description) ?? ds.description,
    project_id: entry.project_id, owner_id: entry.owner_id, format: ds.file_format, size: ds.size_bytes, size_formatted: formatSizeWithUnit(ds.size_bytes),
    row_count: ds.samples_count, status: 'ready', state: ds.processed.length > 0 ? 'processed' : 'uploaded', classes: [], error: null,
    created_at: entry.meta.record === true ? entry.created_at : ds.created_at,
    kind: 'instruction', path: ds.path, size_mb: ds.size_mb, samples_count: ds.samples_count, record_format: ds.record_format, processed: ds.processed,
  };
}

/** The view of an indexed row: a record waiting for its upload, a detection or an instruction dataset. */
export const unionView = (entry: ResourceEntry, resource: AnyDataset | undefined): CatalogDataset =>
  resource?.kind === 'instruction' ? instructionDatasetView(entry, resource.ds) : datasetView(entry, resource?.ds);

/** Both kinds of dataset and the records awaiting their upload, numbered on first sight oldest first. */
export async function indexedAllDatasets(services: AppServices) {
  const [detection, instruction] = await Promise.all([services.datasets.list(), services.instructions.list()]);
  const all: AnyDataset[] = [...detection.map((ds) => ({ kind: 'detection' as const, ds })), ...instruction.map((ds) => ({ kind: 'instruction' as const, ds }))];
  all.sort((a, b) => (a.ds.created_at === b.ds.created_at ? (idOf(a) < idOf(b) ? 1 : -1) : a.ds.created_at < b.ds.created_at ? 1 : -1));
  return indexed(services, 'dataset', all, idOf, async (d) => (d.kind === 'instruction' ? { owner_id: d.ds.owner_id } : {}));
}

/** The entry a path reference (number, `ds_…` or `ids_…`) names if the caller may see it, else the 404. */
export async function mustDatasetEntry(services: AppServices, res: Response, ref: string): Promise<ResourceEntry> {
  const exists = async (id: string) => {
    if (isInstructionId(id)) return (await services.instructions.get(id).then((ds) => ({ owner_id: ds.owner_id }), missing<{ owner_id: number | null }>));
    return services.datasets.get(id).then(() => ({}), missing<object>);
  };
  const entry = await entryOf(services, res, { kind: 'dataset', ref, exists });
  if (!entry) throw datasetNotFound();
  return entry;
}

/** The instruction dataset an entry stands for, else the 404 (a detection dataset or a record awaiting its upload too). */
export async function instructionOf(services: AppServices, entry: ResourceEntry): Promise<InstructionDataset> {
  const ds = isInstructionId(entry.id) ? await services.instructions.get(entry.id).catch(missing<InstructionDataset>) : undefined;
  if (!ds) throw new NotFoundError(`Dataset ${entry.number} is not an instruction dataset`, { reason: 'not_found' });
  return ds;
}

/** The union view of an entry, reading the dataset it stands for. */
export async function entryView(services: AppServices, entry: ResourceEntry): Promise<CatalogDataset> {
  if (isRecordId(entry.id)) return datasetView(entry, undefined);
  if (isInstructionId(entry.id)) return instructionDatasetView(entry, await instructionOf(services, entry).catch(() => Promise.reject(datasetNotFound())));
  const ds = await services.datasets.get(entry.id).catch(missing<Dataset>);
  if (!ds) throw datasetNotFound();
  return datasetView(entry, ds);
}

/** Deletes the dataset an entry stands for (nothing for a record); a missing one is fine. */
export async function deleteEntryDataset(services: AppServices, entry: ResourceEntry): Promise<void> {
  if (isRecordId(entry.id)) return;
  if (isInstructionId(entry.id)) await services.instructions.delete(entry.id).catch(missing);
  else await services.datasets.delete(entry.id).catch(missing);
}

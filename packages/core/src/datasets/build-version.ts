import { isCoreError, ValidationError } from '../errors.js';
import { createTaskPool } from '../platform/limit-concurrency.js';
import type { BlobStore } from '../storage/blob-store.port.js';
import { cleanLabels, maxClassId, type LabelSource } from './collect-labels.js';
import { derivedClassNames, parseClassesTxt, parseYamlClassNames, validateClassNames } from './dataset-classes.js';
import type { DatasetImage, SplitName, ValidationIssue, ValidationReport } from './dataset.schema.js';
import type { DetectedLayout } from './detect-layout.js';
import { extractImages, type ExtractedImage } from './extract-images.js';
import type { ImageProbe } from './image-probe.port.js';
import type { PlannedImage } from './plan-splits.js';
import type { SafeZip } from './zip/open-safe-zip.js';

export interface BuildVersionOptions {
  zip: SafeZip;
  detected: DetectedLayout;
  plans: PlannedImage[];
  requestedClasses?: string[] | null;
  blobs: BlobStore;
  images: ImageProbe;
  staging: string;
  maxLabelFileBytes: number;
  maxIssues: number;
  probeConcurrency: number;
}

export interface BuiltVersion {
  images: DatasetImage[];
  classes: string[];
  splits: SplitName[];
  report: ValidationReport;
}

function createReporter(maxIssues: number) {
  const issues: ValidationIssue[] = [];
  let truncated = 0;
  const report = (issue: ValidationIssue) => {
    if (issues.length < maxIssues) issues.push(issue);
    else truncated += 1;
  };
  return { issues, report, truncated: () => truncated };
}

type TextReader = (name: string, maxBytes: number) => Promise<string>;

/** Reads small text entries by name (a Map, not a scan: a ZIP may hold 100,000 entries). */
function createTextReader(zip: SafeZip): TextReader {
  const byName = new Map(zip.entries.map((e) => [e.name, e]));
  return async (name: string, maxBytes: number): Promise<string> => {
    const entry = byName.get(name);
    return entry ? (await zip.readEntry(entry, maxBytes)).toString('utf8') : '';
  };
}

/** Reads the label file of every valid image, several at a time. */
async function readLabels(o: BuildVersionOptions, plans: readonly PlannedImage[], readText: TextReader) {
  const labelOf = new Map<PlannedImage, LabelSource>();
  const pool = createTaskPool(8);
  for (const plan of plans) {
    const entry = plan.image.label;
    if (!entry) continue;
    await pool.add(async () => {
      labelOf.set(plan, { entry, text: await readText(entry, o.maxLabelFileBytes) });
    });
  }
  await pool.drain();
  return labelOf;
}

/** `names` of the ZIP's data.yaml; anything the YAML library throws (an alias bomb…) is the file's fault, not ours. */
function yamlClassNames(text: string, source: string): string[] | undefined {
  try {
    return parseYamlClassNames(text, source);
  } catch (error) {
    if (isCoreError(error)) throw error;
    const problem = error instanceof Error ? error.message : String(error);
    throw new ValidationError(`${source} cannot be read: ${problem}`, { reason: 'invalid_yaml', details: { entry: source }, cause: error });
  }
}

async function resolveClasses(o: BuildVersionOptions, labels: LabelSource[], readText: TextReader): Promise<string[]> {
  if (o.requestedClasses && o.requestedClasses.length > 0) return validateClassNames(o.requestedClasses);
  if (o.detected.yaml) {
    const names = yamlClassNames(await readText(o.detected.yaml, 1 << 20), o.detected.yaml);
    if (names && names.length > 0) return names;
  }
  if (o.detected.classesTxt) {
    const names = parseClassesTxt(await readText(o.detected.classesTxt, 1 << 20), o.detected.classesTxt);
    if (names.length > 0) return names;
  }
  return derivedClassNames(maxClassId(labels));
}

interface LabelTotals {
  images: DatasetImage[];
  valid: number;
  invalid: number;
  background: number;
}

async function writeLabels(
  o: BuildVersionOptions,
  valid: ReadonlyArray<{ plan: PlannedImage; width: number; height: number }>,
  labelOf: Map<PlannedImage, LabelSource>,
  nc: number,
  report: (issue: ValidationIssue) => void,
): Promise<LabelTotals> {
  const totals: LabelTotals = { images: [], valid: 0, invalid: 0, background: 0 };
  const pool = createTaskPool(8);
  for (const { plan, width, height } of valid) {
    const image: DatasetImage = { path: plan.target, split: plan.split, width, height };
    const source = labelOf.get(plan);
    let rows = 0;
    if (source) {
      const clean = cleanLabels(source, nc, report);
      rows = clean.rows.length;
      totals.invalid += clean.invalidLines;
      await pool.add(() => o.blobs.write(`${o.staging}/${plan.labelTarget}`, clean.text, { durable: false }).then(() => undefined));
      image.label_path = plan.labelTarget;
    }
    totals.valid += rows;
    if (rows === 0) totals.background += 1;
    totals.images.push(image);
  }
  await pool.drain();
  return totals;
}

/** Why a ZIP gave no usable image, naming the first few rejected entries and their problem. */
function noImages(layout: string, extracted: readonly ExtractedImage[]): ValidationError {
  const shown = extracted.slice(0, 3).map((x) => `"${x.plan.image.entry}": ${x.problem?.message ?? 'rejected'}`);
  const more = extracted.length > shown.length ? `; and ${extracted.length - shown.length} more` : '';
  const why = shown.length > 0 ? `: ${shown.join('; ')}${more}` : '';
  return new ValidationError(`no decodable images found in the ZIP (layout "${layout}", ${extracted.length} image entries)${why}`, {
    reason: 'no_images',
  });
}

/**
 * Extracts, decodes and checks one dataset version into `staging`: images by plan, cleaned label files
 * (invalid lines dropped and reported), and the validation report. The caller writes data.yaml and publishes.
 */
export async function buildVersion(o: BuildVersionOptions): Promise<BuiltVersion> {
  const reporter = createReporter(o.maxIssues);
  const extracted = await extractImages({ ...o, concurrency: o.probeConcurrency });
  const valid = extracted.flatMap((x) => (x.info ? [{ plan: x.plan, width: x.info.width, height: x.info.height }] : []));
  for (const x of extracted) if (x.problem) reporter.report({ file: x.plan.image.entry, ...x.problem });
  if (valid.length === 0) throw noImages(o.detected.layout, extracted);
  const readText = createTextReader(o.zip);
  const labelOf = await readLabels(o, valid.map((v) => v.plan), readText);
  const classes = await resolveClasses(o, [...labelOf.values()], readText);
  const totals = await writeLabels(o, valid, labelOf, classes.length, reporter.report);
  for (const entry of o.detected.labelsWithoutImage) {
    reporter.report({ file: entry, code: 'label_without_image', message: `label file "${entry}" has no matching image` });
  }
  const splits = (['train', 'val', 'test'] as const).filter((s) => totals.images.some((i) => i.split === s));
  return {
    images: totals.images,
    classes,
    splits,
    report: {
      layout: o.detected.layout,
      root: o.detected.root,
      images_total: extracted.length,
      images_valid: valid.length,
      images_invalid: extracted.length - valid.length,
      background_images: totals.background,
      label_files: labelOf.size,
      labels_without_image: o.detected.labelsWithoutImage.length,
      label_lines_valid: totals.valid,
      label_lines_invalid: totals.invalid,
      ignored_entries: o.detected.ignored.length,
      issues: reporter.issues,
      issues_truncated: reporter.truncated(),
    },
  };
}

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { CoreError } from '../../errors.js';
import type { EpochMetrics } from '../../metrics/metric-series.js';
import type { ChartLocale } from '../../metrics/to-echarts-option.js';
import { toTrainingChart, TRAINING_CHART_SIZES, type TrainingChartType } from '../../metrics/training-charts.js';
import { hardenSharp } from '../sharp/sharp-image-probe.js';

/** Fonts handed to resvg (it sees no system font from WebAssembly): the faces shipped through npm, the same on every machine. */
export interface ChartFonts {
  /** Font files loaded: DejaVu Sans regular and bold (`dejavu-fonts-ttf`), Noto Sans S Chinese regular (`@embedpdf/fonts-sc`). */
  files: string[];
  /** Family of `sans-serif` and unstyled text. */
  family: string;
  /** Family resvg falls back to for the glyphs `family` lacks (Chinese labels). */
  cjkFamily: string;
}

/** Options of `renderChartPng`: the chart's size in ECharts pixels; the PNG is `pixelRatio` times larger. */
export interface ChartPngOptions {
  width: number;
  height: number;
  pixelRatio?: number;
  background?: string;
}

const requireFromHere = createRequire(import.meta.url);

/**
 * Latin first, then the CJK face resvg falls back to. Noto Sans S Chinese is the Simplified Chinese subset
 * of Noto Sans CJK (about 31,000 characters, nearly all CJK Unified Ideographs; 8 MB a weight), in
 * OpenType/CFF as resvg needs (it reads no WOFF). Its bold is not loaded: resvg's fallback for glyphs
 * missing from the Latin face takes the first face that has them, whatever the weight asked.
 */
const SHIPPED_FONTS = [
  { family: 'DejaVu Sans', packageName: 'dejavu-fonts-ttf', dir: () => path.join(path.dirname(requireFromHere.resolve('dejavu-fonts-ttf/package.json')), 'ttf'), files: ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'] },
  { family: 'Noto Sans S Chinese', packageName: '@embedpdf/fonts-sc', dir: () => path.join(path.dirname(requireFromHere.resolve('@embedpdf/fonts-sc')), '..', 'fonts'), files: ['NotoSansHans-Regular.otf'] },
] as const;

async function readShippedFonts(): Promise<ChartFonts & { buffers: Uint8Array[] }> {
  const loaded = await Promise.all(SHIPPED_FONTS.flatMap((font) => font.files.map(async (name) => {
    try {
      const file = path.join(font.dir(), name);
      return { file, bytes: new Uint8Array(await readFile(file)) };
    } catch (error) {
      throw new CoreError('EXTERNAL_FAILURE', `chart font ${name} of the npm package ${font.packageName} could not be read: reinstall with npm ci`, { reason: 'chart_font_missing', details: { package: font.packageName, file: name }, cause: error });
    }
  })));
  const [latin, cjk] = SHIPPED_FONTS;
  return { files: loaded.map((font) => font.file), buffers: loaded.map((font) => font.bytes), family: latin.family, cjkFamily: cjk.family };
}

let fontsLoaded: Promise<ChartFonts & { buffers: Uint8Array[] }> | undefined;
let resvgReady: Promise<ResvgModule> | undefined;

function loadFonts(): Promise<ChartFonts & { buffers: Uint8Array[] }> {
  fontsLoaded ??= readShippedFonts().catch((error: unknown) => {
    fontsLoaded = undefined;
    throw error;
  });
  return fontsLoaded;
}

/** Reads the chart fonts once per process (later calls reuse them); a `CoreError` (`chart_font_missing`) names a font package that is not installed. */
export async function loadChartFonts(): Promise<ChartFonts> {
  const { files, family, cjkFamily } = await loadFonts();
  return { files: [...files], family, cjkFamily };
}

type ResvgModule = typeof import('@resvg/resvg-wasm');

/** resvg's WebAssembly, loaded on first use (and once: `initWasm` refuses a second call). */
function loadResvg(): Promise<ResvgModule> {
  resvgReady ??= (async () => {
    const resvg = await import('@resvg/resvg-wasm');
    const wasm = await readFile(createRequire(import.meta.url).resolve('@resvg/resvg-wasm/index_bg.wasm'));
    await resvg.initWasm(wasm).catch((error: unknown) => {
      if (!/already initialized/i.test(String(error))) throw error;
    });
    return resvg;
  })().catch((error: unknown) => {
    resvgReady = undefined;
    throw error;
  });
  return resvgReady;
}

/** ECharts server-side rendering to an SVG string; the chart is always disposed, or the process would not exit. */
async function toSvg(option: object, width: number, height: number): Promise<string> {
  const echarts = await import('echarts');
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ ...option, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/**
 * Renders an ECharts option to PNG: ECharts server-side SVG, rasterised by resvg (WebAssembly) with the
 * fonts of `loadChartFonts`; the PNG is `width × pixelRatio` by `height × pixelRatio` pixels.
 * @example const png = await renderChartPng(toEChartsOption(epochs), { width: 900, height: 450 });
 */
export async function renderChartPng(option: object, options: ChartPngOptions): Promise<Buffer> {
  const { width, height, pixelRatio = 1 } = options;
  if (!(width > 0 && height > 0 && pixelRatio > 0)) throw new RangeError(`chart size must be positive (got ${width}×${height} at ×${pixelRatio})`);
  const [svg, fonts, { Resvg }] = await Promise.all([toSvg(option, width, height), loadFonts(), loadResvg()]);
  const resvg = new Resvg(svg, {
    font: { fontBuffers: fonts.buffers, defaultFontFamily: fonts.family, sansSerifFamily: fonts.family },
    fitTo: pixelRatio === 1 ? { mode: 'original' } : { mode: 'zoom', value: pixelRatio },
    background: options.background ?? '#ffffff',
  });
  try {
    const image = resvg.render();
    try {
      return Buffer.from(image.asPng());
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/**
 * S001's training chart PNG: `loss` (2700×750), `metrics` (2100×1500) or `all` (both stacked, 2700×2250,
 * the metrics chart centred below the loss chart). Labels are in `locale` (default `zh`), drawn with the
 * shipped fonts of `loadChartFonts`.
 * @example const png = await renderTrainingCharts(epochs, { chartType: 'all' });
 */
export async function renderTrainingCharts(series: readonly EpochMetrics[], options: { chartType: TrainingChartType | 'all'; locale?: ChartLocale }): Promise<Buffer> {
  const locale = options.locale ?? 'zh';
  const render = (chartType: TrainingChartType) => {
    const { option, width, height, pixelRatio } = toTrainingChart(series, { chartType, locale });
    return renderChartPng(option, { width, height, pixelRatio });
  };
  if (options.chartType !== 'all') return render(options.chartType);
  const [loss, metrics] = [await render('loss'), await render('metrics')];
  const { width, height } = TRAINING_CHART_SIZES.all;
  hardenSharp();
  return sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
    .composite([
      { input: loss, left: 0, top: 0 },
      { input: metrics, left: (width - TRAINING_CHART_SIZES.metrics.width) / 2, top: TRAINING_CHART_SIZES.loss.height },
    ])
    .png()
    .toBuffer();
}

import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { EpochMetrics } from '../../metrics/metric-series.js';
import type { ChartLocale } from '../../metrics/to-echarts-option.js';
import { toTrainingChart, TRAINING_CHART_SIZES, type TrainingChartType } from '../../metrics/training-charts.js';
import { hardenSharp } from './sharp-image-probe.js';

/** Fonts handed to resvg (it cannot see system fonts from WebAssembly): what was found and loaded. */
export interface ChartFonts {
  files: string[];
  /** Family used for `sans-serif` and unstyled text; undefined when no known font was found. */
  family: string | undefined;
  /** Whether a CJK font was found, so Chinese labels render (Debian/Ubuntu: `apt-get install fonts-wqy-microhei`). */
  cjk: boolean;
}

/** Options of `renderChartPng`: the chart's size in ECharts pixels; the PNG is `pixelRatio` times larger. */
export interface ChartPngOptions {
  width: number;
  height: number;
  pixelRatio?: number;
  background?: string;
}

/** Preferred fonts by file name, Latin first; resvg falls back to the CJK one for glyphs the Latin one lacks. */
const FONT_CANDIDATES: readonly { file: RegExp; family: string; cjk: boolean }[] = [
  { file: /^DejaVuSans(-Bold)?\.ttf$/i, family: 'DejaVu Sans', cjk: false },
  { file: /^LiberationSans-(Regular|Bold)\.ttf$/i, family: 'Liberation Sans', cjk: false },
  { file: /^NotoSans-(Regular|Bold)\.ttf$/i, family: 'Noto Sans', cjk: false },
  { file: /^wqy-microhei\.ttc$/i, family: 'WenQuanYi Micro Hei', cjk: true },
  { file: /^wqy-zenhei\.ttc$/i, family: 'WenQuanYi Zen Hei', cjk: true },
  { file: /^NotoSansCJK-Regular\.ttc$/i, family: 'Noto Sans CJK SC', cjk: true },
  { file: /^NotoSansSC-Regular\.[ot]tf$/i, family: 'Noto Sans SC', cjk: true },
  { file: /^DroidSansFallbackFull\.ttf$/i, family: 'Droid Sans Fallback', cjk: true },
];

/** Font folders searched, or the `path.delimiter`-separated list in `YOLOOPS_CHART_FONT_DIRS`. */
function fontDirs(): string[] {
  const custom = process.env['YOLOOPS_CHART_FONT_DIRS'];
  if (custom) return custom.split(path.delimiter).filter((dir) => dir.length > 0);
  return ['/usr/share/fonts', '/usr/local/share/fonts', path.join(homedir(), '.local/share/fonts'), path.join(homedir(), '.fonts')];
}

async function findFonts(): Promise<{ files: string[]; family: string | undefined; cjk: boolean }> {
  const found = new Map<number, string[]>();
  for (const dir of fontDirs()) {
    const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const at = FONT_CANDIDATES.findIndex((candidate) => candidate.file.test(path.basename(name)));
      if (at >= 0) found.set(at, [...(found.get(at) ?? []), path.join(dir, name)]);
    }
  }
  const latin = [...found.keys()].filter((i) => !FONT_CANDIDATES[i]?.cjk).sort((a, b) => a - b)[0];
  const cjk = [...found.keys()].filter((i) => FONT_CANDIDATES[i]?.cjk).sort((a, b) => a - b)[0];
  const picked = [latin, cjk].filter((i): i is number => i !== undefined);
  const files = picked.flatMap((i) => found.get(i) ?? []);
  return { files, family: picked[0] === undefined ? undefined : FONT_CANDIDATES[picked[0]]?.family, cjk: cjk !== undefined };
}

let fontsLoaded: Promise<ChartFonts & { buffers: Uint8Array[] }> | undefined;
let resvgReady: Promise<ResvgModule> | undefined;

function loadFonts(): Promise<ChartFonts & { buffers: Uint8Array[] }> {
  fontsLoaded ??= findFonts().then(async (fonts) => {
    const read = await Promise.all(fonts.files.map((file) => readFile(file).then((bytes) => ({ file, bytes }), () => undefined)));
    const ok = read.filter((font) => font !== undefined);
    return { ...fonts, files: ok.map((font) => font.file), buffers: ok.map((font) => font.bytes) };
  });
  return fontsLoaded;
}

/** Finds and reads the chart fonts once per process (later calls reuse them). */
export async function loadChartFonts(): Promise<ChartFonts> {
  const { files, family, cjk } = await loadFonts();
  return { files: [...files], family, cjk };
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
  const family = fonts.family ?? 'sans-serif';
  const resvg = new Resvg(svg, {
    font: { fontBuffers: fonts.buffers, defaultFontFamily: family, sansSerifFamily: family },
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
 * the metrics chart centred below the loss chart). Labels are in `locale` (default `zh`); when no CJK font
 * is installed, Chinese would render as empty boxes, so the labels fall back to English.
 * @example const png = await renderTrainingCharts(epochs, { chartType: 'all' });
 */
export async function renderTrainingCharts(series: readonly EpochMetrics[], options: { chartType: TrainingChartType | 'all'; locale?: ChartLocale }): Promise<Buffer> {
  const fonts = await loadChartFonts();
  const locale = options.locale === 'en' || !fonts.cjk ? 'en' : 'zh';
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

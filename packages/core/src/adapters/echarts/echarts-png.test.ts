import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import type { EpochMetrics } from '../../metrics/metric-series.js';
import { toEChartsOption } from '../../metrics/to-echarts-option.js';
import { loadChartFonts, renderChartPng, renderTrainingCharts } from './echarts-png.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const detect10 = JSON.parse(readFileSync(path.join(here, '../../metrics/__fixtures__/echarts/detect-10-epochs.input.json'), 'utf8')) as EpochMetrics[];
const fonts = await loadChartFonts();

/** Size, format and how many pixels are not (near) white, within an optional region. */
async function inspect(png: Buffer, region?: { left: number; top: number; width: number; height: number }) {
  const meta = await sharp(png).metadata();
  const image = region ? sharp(png).extract(region) : sharp(png);
  const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let inked = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if ((data[i] as number) < 200 || (data[i + 1] as number) < 200 || (data[i + 2] as number) < 200) inked++;
  }
  return { format: meta.format, width: meta.width, height: meta.height, inked };
}

describe('renderChartPng', () => {
  test('renders a toEChartsOption chart as a PNG of the requested size with lines and text on it', async () => {
    const png = await renderChartPng(toEChartsOption(detect10, { locale: 'en' }), { width: 900, height: 450 });
    const found = await inspect(png);
    expect(found).toMatchObject({ format: 'png', width: 900, height: 450 });
    expect(found.inked).toBeGreaterThan(5000);
    const stats = await sharp(png).stats();
    expect(stats.channels.slice(0, 3).every((channel) => channel.stdev > 5)).toBe(true);
  });

  test('pixelRatio scales the PNG, not the layout', async () => {
    const found = await inspect(await renderChartPng(toEChartsOption(detect10, { locale: 'en' }), { width: 600, height: 300, pixelRatio: 2 }));
    expect(found).toMatchObject({ width: 1200, height: 600 });
  });

  test('different data gives a different picture', async () => {
    const a = await renderChartPng(toEChartsOption(detect10, { metrics: ['box_loss'], locale: 'en' }), { width: 400, height: 300 });
    const b = await renderChartPng(toEChartsOption(detect10, { metrics: ['map50'], locale: 'en' }), { width: 400, height: 300 });
    expect(a.equals(b)).toBe(false);
  });

  test('refuses a size that is not positive with a RangeError', async () => {
    await expect(renderChartPng({}, { width: 0, height: 100 })).rejects.toThrow(RangeError);
  });

  test('loads the fonts shipped through npm (DejaVu Sans, Noto Sans S Chinese), never the machine\'s', () => {
    expect(fonts).toMatchObject({ family: 'DejaVu Sans', cjkFamily: 'Noto Sans S Chinese' });
    expect(fonts.files.map((file) => path.relative(path.join(here, '../../../../..'), file).split(path.sep).join('/'))).toEqual([
      'node_modules/dejavu-fonts-ttf/ttf/DejaVuSans.ttf',
      'node_modules/dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf',
      'node_modules/@embedpdf/fonts-sc/fonts/NotoSansHans-Regular.otf',
    ]);
  });

  const title = (text: string) => renderChartPng({ title: { text, left: 'center', top: 'middle', textStyle: { fontSize: 40 } } }, { width: 300, height: 120 });
  test('draws Chinese glyphs with the CJK font: two characters give two different inked pictures, unlike characters no font has', async () => {
    const [a, b] = [await title('训'), await title('练')];
    expect((await inspect(a)).inked).toBeGreaterThan(300);
    expect((await inspect(b)).inked).toBeGreaterThan(300);
    expect(a.equals(b)).toBe(false);
    // what a missing font gives: the same box (or nothing) for any character, so two private-use characters look alike
    const [x, y] = [await title('\u{F0001}'), await title('\u{F0002}')];
    expect(x.equals(y)).toBe(true);
  });

  test('draws Latin and Chinese in one label, each in its own face', async () => {
    const [mixed, latin, chinese] = [await title('mAP 精确率'), await title('mAP'), await title('精确率')];
    expect((await inspect(mixed)).inked).toBeGreaterThan((await inspect(latin)).inked);
    expect((await inspect(mixed)).inked).toBeGreaterThan((await inspect(chinese)).inked);
  });
});

describe('renderTrainingCharts', () => {
  test.each([
    { chartType: 'loss', width: 2700, height: 750 },
    { chartType: 'metrics', width: 2100, height: 1500 },
  ] as const)('$chartType is a $width×$height PNG with the curves drawn', async ({ chartType, width, height }) => {
    const found = await inspect(await renderTrainingCharts(detect10, { chartType, locale: 'en' }));
    expect(found).toMatchObject({ format: 'png', width, height });
    expect(found.inked).toBeGreaterThan(20_000);
  });

  test('all stacks the loss chart over the metrics chart in one 2700×2250 PNG', async () => {
    const png = await renderTrainingCharts(detect10, { chartType: 'all', locale: 'en' });
    expect(await inspect(png)).toMatchObject({ format: 'png', width: 2700, height: 2250 });
    expect((await inspect(png, { left: 0, top: 0, width: 2700, height: 750 })).inked).toBeGreaterThan(20_000);
    expect((await inspect(png, { left: 300, top: 750, width: 2100, height: 1500 })).inked).toBeGreaterThan(20_000);
    expect((await inspect(png, { left: 0, top: 750, width: 300, height: 1500 })).inked).toBe(0);
  });

  test('a run without epochs still renders the empty panels', async () => {
    const found = await inspect(await renderTrainingCharts([], { chartType: 'loss', locale: 'en' }));
    expect(found).toMatchObject({ width: 2700, height: 750 });
    expect(found.inked).toBeGreaterThan(1000);
  });

  test('labels the charts in Chinese by default: a picture other than the English one', async () => {
    const [zh, en, byDefault] = [
      await renderTrainingCharts(detect10, { chartType: 'loss', locale: 'zh' }),
      await renderTrainingCharts(detect10, { chartType: 'loss', locale: 'en' }),
      await renderTrainingCharts(detect10, { chartType: 'loss' }),
    ];
    expect(zh.equals(en)).toBe(false);
    expect(byDefault.equals(zh)).toBe(true);
    const [zhInk, enInk] = [(await inspect(zh)).inked, (await inspect(en)).inked];
    expect(Math.abs(zhInk - enInk)).toBeGreaterThan(100);
  });
});

import { describe, expect, test } from 'vitest';
import { letterbox, roundHalfEven, unletterboxBox } from './letterbox.js';

const SQUARE = { width: 640, height: 640 };

describe('roundHalfEven', () => {
  test.each([
    { given: 0.5, want: 0 }, { given: 1.5, want: 2 }, { given: 2.5, want: 2 }, { given: 2.4999, want: 2 },
    { given: 2.6, want: 3 }, { given: -1.5, want: -2 }, { given: 79.9, want: 80 },
  ])('rounds $given to $want as Python does', ({ given, want }) => {
    expect(roundHalfEven(given)).toBe(want);
  });
});

describe('letterbox', () => {
  test.each([
    // bus.jpg: portrait, padded left and right
    { size: [810, 1080], want: { resizedWidth: 480, resizedHeight: 640, padX: 80, padRight: 80, padY: 0, padBottom: 0, scale: 640 / 1080 } },
    // zidane.jpg: landscape, padded top and bottom
    { size: [1280, 720], want: { resizedWidth: 640, resizedHeight: 360, padX: 0, padY: 140, padBottom: 140, scale: 0.5 } },
    // odd padding: the extra pixel goes right/bottom (round(dw/2 - 0.1), round(dw/2 + 0.1))
    { size: [333, 500], want: { resizedWidth: 426, resizedHeight: 640, padX: 107, padRight: 107, scale: 1.28 } },
    { size: [500, 331], want: { resizedWidth: 640, resizedHeight: 424, padY: 108, padBottom: 108 } },
    { size: [641, 640], want: { resizedWidth: 640, resizedHeight: 639, padY: 0, padBottom: 1 } },
    // small images are enlarged
    { size: [64, 32], want: { resizedWidth: 640, resizedHeight: 320, padY: 160, scale: 10 } },
  ])('plans $size into 640×640', ({ size, want }) => {
    const plan = letterbox(size[0]!, size[1]!, SQUARE);
    expect(plan).toMatchObject({ ...want, width: size[0], height: size[1], inputWidth: 640, inputHeight: 640 });
    expect(plan.resizedWidth + plan.padX + plan.padRight).toBe(640);
  });

  test('with auto pads only to the stride (zidane at 384×640, as Ultralytics predicts it)', () => {
    expect(letterbox(1280, 720, SQUARE, { auto: true, stride: 32 })).toMatchObject({ inputWidth: 640, inputHeight: 384, padY: 12, padBottom: 12 });
  });

  test('does not enlarge with scaleUp false', () => {
    expect(letterbox(64, 32, SQUARE, { scaleUp: false })).toMatchObject({ scale: 1, resizedWidth: 64, padX: 288, padY: 304 });
  });

  test('rejects an empty image', () => {
    expect(() => letterbox(0, 10, SQUARE)).toThrow(/positive/);
  });
});

describe('unletterboxBox', () => {
  test('maps input pixels back to the original image: (v − pad) / scale', () => {
    const plan = letterbox(810, 1080, SQUARE);
    const out: number[] = [];
    // a box drawn at original (81, 108)–(405, 540) lands at input (80 + 48, 64)–(80 + 240, 320)
    unletterboxBox([128, 64, 320, 320], plan, out);
    expect(out.map((v) => +v.toFixed(6))).toEqual([81, 108, 405, 540]);
  });

  test('clips to the image', () => {
    const plan = letterbox(1280, 720, SQUARE);
    const out: number[] = [];
    unletterboxBox([-5, 100, 700, 600], plan, out);
    expect(out).toEqual([0, 0, 1280, 720]);
  });
});

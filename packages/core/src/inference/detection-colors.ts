/** An RGB colour, 0–255 per channel. */
export type Rgb = readonly [r: number, g: number, b: number];

/**
 * The origin's ten box colours (OpenCV BGR `(0,255,0) (255,0,0) (0,0,255) (255,255,0) (255,0,255)
 * (0,255,255) (128,0,255) (255,128,0) (0,128,255) (255,0,128)`), converted to RGB.
 */
export const DETECTION_PALETTE: readonly Rgb[] = [
  [0, 255, 0], [0, 0, 255], [255, 0, 0], [0, 255, 255], [255, 0, 255],
  [255, 255, 0], [255, 0, 128], [0, 128, 255], [255, 128, 0], [128, 0, 255],
];

/**
 * The RGB colour of a class, `palette[class_id % 10]` as the origin draws it.
 * @example
 * detectionColor(0); // [0, 255, 0]
 */
export function detectionColor(classId: number): Rgb {
  const n = DETECTION_PALETTE.length;
  return DETECTION_PALETTE[((Math.trunc(classId) % n) + n) % n]!;
}

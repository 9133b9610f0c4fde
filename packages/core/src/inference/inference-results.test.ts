import { describe, expect, test } from 'vitest';
import { pythonFloatRepr, renderResultsCsv, RESULTS_CSV_COLUMNS } from './inference-results.js';

describe('pythonFloatRepr', () => {
  test.each([
    [123, '123.0'], [0.8765432238578796, '0.8765432238578796'], [123.456787109375, '123.456787109375'], [0, '0.0'], [-0, '-0.0'],
    [1e-5, '1e-05'], [0.0001, '0.0001'], [0.00012, '0.00012'], [1.5e-7, '1.5e-07'], [1e16, '1e+16'], [1234567890123456.0, '1234567890123456.0'],
    [-2.5, '-2.5'], [Number.NaN, 'nan'], [Number.POSITIVE_INFINITY, 'inf'],
  ])('%s → %s', (x, expected) => {
    expect(pythonFloatRepr(x)).toBe(expected);
  });
});

describe('renderResultsCsv', () => {
  const detection = { class_id: 0, class_name: 'person', conf: 0.5, confidence: 0.5, x1: 1, y1: 2.5, x2: 30, y2: 40.25 };
  test('origin column order, CRLF, one row per detection, an empty image as one row with 8 empty columns, quoting', () => {
    const csv = renderResultsCsv([
      { image_uuid: 'u1', image_filename: 'a,b.jpg', model_id: 'm', image_width: 640, image_height: 480, detection_count: 2, detections: [detection, { ...detection, class_id: 5, class_name: 'bus "big"' }] },
      { image_uuid: 'u2', image_filename: 'c.jpg', model_id: 'm', image_width: 10, image_height: 20, detection_count: 0, detections: [] },
    ]);
    expect(csv.split('\r\n')).toEqual([
      RESULTS_CSV_COLUMNS.join(','),
      'u1,"a,b.jpg",m,640,480,2,0,0,person,0.5,1.0,2.5,30.0,40.25',
      'u1,"a,b.jpg",m,640,480,2,1,5,"bus ""big""",0.5,1.0,2.5,30.0,40.25',
      'u2,c.jpg,m,10,20,0,,,,,,,,',
      '',
    ]);
    expect(csv.includes('\n\n')).toBe(false);
    expect(csv.charCodeAt(0)).not.toBe(0xfeff);
  });
});

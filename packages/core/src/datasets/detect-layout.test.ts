import { describe, expect, test } from 'vitest';
import { detectLayout } from './detect-layout.js';

describe('detectLayout', () => {
  test.each([
    {
      name: 'Ultralytics under one top folder',
      given: ['coco8/data.yaml', 'coco8/LICENSE', 'coco8/images/train/a.jpg', 'coco8/labels/train/a.txt', 'coco8/images/val/b.JPG', 'coco8/labels/val/b.txt'],
      want: { layout: 'ultralytics', root: 'coco8/', yaml: 'coco8/data.yaml', images: [['coco8/images/train/a.jpg', 'train', 'a.jpg', 'coco8/labels/train/a.txt'], ['coco8/images/val/b.JPG', 'val', 'b.JPG', 'coco8/labels/val/b.txt']], ignored: ['coco8/LICENSE'] },
    },
    {
      name: 'Roboflow export with valid/ and a test split',
      given: ['data.yaml', 'train/images/a.jpg', 'train/labels/a.txt', 'valid/images/b.png', 'valid/labels/b.txt', 'test/images/c.jpg', 'README.roboflow.txt'],
      want: { layout: 'roboflow', root: '', yaml: 'data.yaml', images: [['train/images/a.jpg', 'train', 'a.jpg', 'train/labels/a.txt'], ['valid/images/b.png', 'val', 'b.png', 'valid/labels/b.txt'], ['test/images/c.jpg', 'test', 'c.jpg', undefined]], ignored: ['README.roboflow.txt'] },
    },
    {
      name: 'images/ + labels/ without splits, nested folders kept',
      given: ['images/a.jpg', 'images/sub/b.jpeg', 'labels/a.txt', 'labels/sub/b.txt', 'labels/orphan.txt', 'dataset.yaml'],
      want: { layout: 'images-labels', root: '', yaml: 'dataset.yaml', images: [['images/a.jpg', undefined, 'a.jpg', 'labels/a.txt'], ['images/sub/b.jpeg', undefined, 'sub/b.jpeg', 'labels/sub/b.txt']], labelsWithoutImage: ['labels/orphan.txt'] },
    },
    {
      name: 'flat images in one top folder with labels beside them',
      given: ['photos/a.jpg', 'photos/a.txt', 'photos/b.png', 'photos/classes.txt', 'photos/notes.md'],
      want: { layout: 'flat', root: 'photos/', classesTxt: 'photos/classes.txt', images: [['photos/a.jpg', undefined, 'a.jpg', 'photos/a.txt'], ['photos/b.png', undefined, 'b.png', undefined]], ignored: ['photos/notes.md'] },
    },
    {
      name: 'flat images at the root',
      given: ['a.jpg', 'b.webp'],
      want: { layout: 'flat', root: '', images: [['a.jpg', undefined, 'a.jpg', undefined], ['b.webp', undefined, 'b.webp', undefined]] },
    },
  ])('$name', ({ given, want }) => {
    const got = detectLayout(given);
    expect(got.layout).toBe(want.layout);
    expect(got.root).toBe(want.root);
    expect(got.yaml).toBe(want.yaml);
    expect(got.classesTxt).toBe((want as { classesTxt?: string }).classesTxt);
    expect(got.images.map((i) => [i.entry, i.split, i.rel, i.label])).toEqual(want.images);
    expect(got.labelsWithoutImage).toEqual((want as { labelsWithoutImage?: string[] }).labelsWithoutImage ?? []);
    expect(got.ignored).toEqual((want as { ignored?: string[] }).ignored ?? []);
  });

  test('does not treat a folder named like a split as a top folder to strip', () => {
    expect(detectLayout(['train/images/a.jpg', 'train/labels/a.txt']).root).toBe('');
  });

  test('finds no images in a ZIP of documents', () => {
    const got = detectLayout(['docs/readme.md', 'docs/notes.txt']);
    expect(got.images).toEqual([]);
    expect(got.labelsWithoutImage).toEqual(['docs/notes.txt']);
  });
});

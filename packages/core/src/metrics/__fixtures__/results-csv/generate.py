"""Writes the results.csv golden fixtures with the exact format strings each Ultralytics version uses.

Run: python3 generate.py (from this folder). Each fixture is written the way the named version's
trainer writes it, and its `.want.json` is computed here from the same numbers, independently of
the TypeScript parser under test:

- YOLOv5 (utils/loggers/__init__.py, on_fit_epoch_end): header '%20s,' per column, rows '%20.5g,',
  epoch 0-based (`epoch` of `range(start_epoch, epochs)`).
- ultralytics 8.0 early (engine/trainer.py, save_metrics): '%23s,' / '%23.5g,', `self.epoch` (0-based).
- ultralytics 8.0 later .. 8.2: '%23s,' / '%23.5g,', `self.epoch + 1` (1-based).
- ultralytics 8.3: '%s,' over ('epoch', 'time', *keys), rows '%.6g,' with (self.epoch + 1, elapsed, *vals).
"""
import json
import math

V5_KEYS = ["train/box_loss", "train/obj_loss", "train/cls_loss", "metrics/precision", "metrics/recall",
           "metrics/mAP_0.5", "metrics/mAP_0.5:0.95", "val/box_loss", "val/obj_loss", "val/cls_loss",
           "x/lr0", "x/lr1", "x/lr2"]
DETECT_KEYS = ["train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/precision(B)", "metrics/recall(B)",
               "metrics/mAP50(B)", "metrics/mAP50-95(B)", "val/box_loss", "val/cls_loss", "val/dfl_loss",
               "lr/pg0", "lr/pg1", "lr/pg2"]
SEGMENT_KEYS = ["train/box_loss", "train/seg_loss", "train/cls_loss", "train/dfl_loss",
                "metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)",
                "metrics/precision(M)", "metrics/recall(M)", "metrics/mAP50(M)", "metrics/mAP50-95(M)",
                "val/box_loss", "val/seg_loss", "val/cls_loss", "val/dfl_loss", "lr/pg0", "lr/pg1", "lr/pg2"]


def vals(keys, epoch):
    """Plausible, distinct numbers per epoch (losses fall, metrics rise, LR warms up)."""
    out = []
    for i, key in enumerate(keys):
        if "loss" in key:
            out.append(1.8731 / (epoch + 1) + i * 0.01123)
        elif key.startswith("metrics/"):
            out.append(min(0.99, 0.12345 * (epoch + 1) + i * 0.001))
        else:
            out.append(0.0033326 * (epoch + 1) / (i + 1))
    return out


def number(text):
    value = float(text)
    return None if math.isnan(value) or math.isinf(value) else value


def padded(name, keys, width, epochs, first_epoch, overrides=None):
    header = ("%" + str(width) + "s,") * (len(keys) + 1) % tuple(["epoch"] + keys)
    lines, want = [header.rstrip(",")], []
    for e in range(epochs):
        row = vals(keys, e)
        for (at_epoch, key), value in (overrides or {}).items():
            if at_epoch == e:
                row[keys.index(key)] = value
        line = (("%" + str(width) + ".5g,") * (len(keys) + 1) % tuple([e + first_epoch] + row)).rstrip(",")
        lines.append(line)
        cells = [c.strip() for c in line.split(",")]
        want.append({"epoch": e + 1, "values": {k: number(c) for k, c in zip(keys, cells[1:])}})
    write(name, "\n".join(lines) + "\n", keys, want)


def v83(name, keys, epochs, partial=None, overrides=None):
    n = len(keys) + 2
    header = ("%s," * n % ("epoch", "time", *keys)).rstrip(",") + "\n"
    text, want = header, []
    for e in range(epochs):
        row = vals(keys, e)
        for (at_epoch, key), value in (overrides or {}).items():
            if at_epoch == e:
                row[keys.index(key)] = value
        t = 12.43017 * (e + 1)
        line = ("%.6g," * n % (e + 1, t, *row)).rstrip(",") + "\n"
        text += line
        cells = line.strip().split(",")
        want.append({"epoch": e + 1, "values": {k: number(c) for k, c in zip(["time", *keys], cells[1:])}})
    if partial:
        text += partial
    write(name, text, ["time", *keys], want)


def write(name, text, columns, want):
    with open(f"{name}.csv", "w", encoding="utf-8", newline="") as f:
        f.write(text)
    with open(f"{name}.want.json", "w", encoding="utf-8") as f:
        json.dump({"columns": columns, "rows": want}, f, indent=1)
        f.write("\n")


padded("yolov5", V5_KEYS, 20, 3, 0)
padded("ultralytics-8.0-early", DETECT_KEYS, 23, 3, 0, {(1, "val/dfl_loss"): float("nan")})
padded("ultralytics-8.2-segment", SEGMENT_KEYS, 23, 3, 1)
v83("ultralytics-8.3", DETECT_KEYS, 4, overrides={(0, "metrics/mAP50-95(B)"): float("inf"), (2, "val/box_loss"): float("nan")})
v83("ultralytics-8.3-being-written", DETECT_KEYS, 2, partial="3,37.2905,0.62437,0.6")

#!/usr/bin/env python3
"""Reads an oxnet tensorBoard() logdir with TensorBoard's own reader and prints what it found.

Usage: python3 scripts/tensorboard-check.py LOGDIR   (needs `pip install tensorboard`; see
scripts/tensorboard-check.sh, which makes a venv under /tmp, trains a small model and runs this).
TensorBoard's reader checks both CRCs of every record and drops (with a data-loss warning) a
record that fails, so a file with a bad CRC shows up here as an epoch_* tag with fewer steps
than the others. Exits 1 if a run has no scalars or its epoch_* tags disagree on the step count.
"""
import os
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def main(logdir: str) -> int:
    runs = sorted(d for d in os.listdir(logdir) if os.path.isdir(os.path.join(logdir, d)))
    if not runs:
        print(f"no runs under {logdir}")
        return 1
    for run in runs:
        acc = EventAccumulator(os.path.join(logdir, run), size_guidance={"scalars": 0, "histograms": 0})
        acc.Reload()
        tags = acc.Tags()
        print(f"run {run}: scalars {sorted(tags['scalars'])}, histograms {len(tags['histograms'])}")
        if not tags["scalars"]:
            return 1
        counts = {tag: len(acc.Scalars(tag)) for tag in tags["scalars"] if tag.startswith("epoch_")}
        if len(set(counts.values())) > 1:
            print(f"  epoch tags disagree on the number of steps (a record lost?): {counts}")
            return 1
        for tag in sorted(tags["scalars"]):
            events = acc.Scalars(tag)
            shown = ", ".join(f"{e.step}:{e.value:.6g}" for e in events[:8])
            more = f" ... ({len(events)} in all)" if len(events) > 8 else ""
            print(f"  {tag}: {shown}{more}")
        for tag in sorted(tags["histograms"]):
            events = acc.Histograms(tag)
            last = events[-1].histogram_value
            print(f"  histogram {tag}: {len(events)} steps, last step {events[-1].step}: num {last.num:g}, "
                  f"bucket sum {sum(last.bucket):g}, min {last.min:.4g}, max {last.max:.4g}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))

"""Fairness benchmark: no reweighting / reweighting / reweighting + per-group penalty on
grid25-groups and digits, several seeds, one table (plugins/fairness/README.md "Results").

    OMP_NUM_THREADS=1 taskset -c 0 python benchmarks/fairness.py [--seeds 0 1 2]
        [--datasets grid25-groups digits] [-- --steps 1500 ...]

Each cell is the mean over seeds (min-max in brackets) of a default ``wgan run fairness``
with the variant's options; the audit is the one each run writes (n_eval generated samples
against the population, target uniform over the two groups).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from wgan_core.runs import execute
from wgan_plugins.fairness import PLUGIN

VARIANTS = {
    "none": {"reweight": "none", "group_penalty": False},
    "reweight": {"reweight": "inverse-frequency", "group_penalty": False},
    "reweight + group penalty": {"reweight": "inverse-frequency", "group_penalty": True},
}
TAGS = {"grid25-groups": ("majority", "minority"), "digits": ("0_4", "5_9")}


def parse_extra(extra: list[str]) -> dict[str, object]:
    """``--steps 500 --hidden 64`` after ``--`` as config options (numbers parsed)."""
    out: dict[str, object] = {}
    for flag, value in zip(extra[::2], extra[1::2]):
        key = flag.lstrip("-").replace("-", "_")
        for cast in (int, float):
            try:
                out[key] = cast(value)
                break
            except ValueError:
                continue
        else:
            out[key] = value
    return out


def cell(values: list[float], fmt: str = ".3f") -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    mean = statistics.fmean(values)
    if len(values) == 1:
        return format(mean, fmt)
    return f"{mean:{fmt}} [{min(values):{fmt}}–{max(values):{fmt}}]"


def main() -> None:
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--datasets", nargs="+", default=["grid25-groups", "digits"])
    parser.add_argument("--json", type=Path, default=None, help="Also write the raw metrics.")
    args = parser.parse_args(argv)
    options = parse_extra(extra)
    raw: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for dataset in args.datasets:
            for variant, settings in VARIANTS.items():
                for seed in args.seeds:
                    out = Path(tmp) / f"{dataset}-{len(raw)}"
                    started = time.perf_counter()
                    result = execute(PLUGIN, {"dataset": dataset, "seed": seed, "device": "cpu",
                                              **settings, **options}, out=out, progress=False,
                                     echo=lambda m: None)
                    m = dict(result.metrics)
                    m.update(variant=variant, seed=seed, wall=time.perf_counter() - started)
                    raw.append(m)
                    print(f"{dataset} {variant} seed {seed}: discrepancy "
                          f"{m['discrepancy']:.3f}, {m['wall']:.0f} s", file=sys.stderr,
                          flush=True)
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))
    print(f"wgan run fairness (defaults{', ' + str(options) if options else ''}); "
          f"seeds {args.seeds}; mean [min–max] over seeds\n")
    print("| data | variant | train discrepancy | discrepancy | minority share | "
          "mode cov maj / min | k-NN cov maj / min | precision | W1 | "
          "slope maj / min | wall s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    summary: dict[tuple[str, str], dict[str, float]] = {}
    for dataset in args.datasets:
        major, minor = TAGS[dataset]
        for variant in VARIANTS:
            rows = [r for r in raw if r["dataset"] == dataset and r["variant"] == variant]

            def col(key: str) -> list[float]:
                return [r.get(key) for r in rows]  # type: ignore[misc]

            modes = (f"{cell(col('coverage_' + major), '.2f')} / "
                     f"{cell(col('coverage_' + minor), '.2f')}"
                     if dataset == "grid25-groups" else "-")
            print(f"| {dataset} | {variant} | {cell(col('training_discrepancy'))} | "
                  f"{cell(col('discrepancy'))} | {cell(col('share_' + minor))} | {modes} | "
                  f"{cell(col('knn_coverage_' + major), '.2f')} / "
                  f"{cell(col('knn_coverage_' + minor), '.2f')} | "
                  f"{cell(col('overall_precision'))} | {cell(col('overall_w1'))} | "
                  f"{cell(col('slope_mean_' + major), '.2f')} / "
                  f"{cell(col('slope_mean_' + minor), '.2f')} | {cell(col('wall'), '.0f')} |")

            def mean(key: str) -> float:
                return statistics.fmean(v for v in col(key) if v is not None)

            summary[(dataset, variant)] = {
                "discrepancy": mean("discrepancy"), "precision": mean("overall_precision"),
                "ratio": statistics.fmean(
                    (r.get("coverage_" + minor) or 0.0) / max(r.get("coverage_" + major) or 0.0,
                                                              1e-9) for r in rows),
                "wall": max(col("wall"))}
    print("\nTargets (means over seeds): discrepancy cut >= 70 % against none; minority "
          "coverage >= 0.9 of the majority's; precision cost <= 10 %; a run <= 300 s")
    for dataset in args.datasets:
        base = summary[(dataset, "none")]
        for variant in list(VARIANTS)[1:]:
            s = summary[(dataset, variant)]
            cut = 1 - s["discrepancy"] / base["discrepancy"] if base["discrepancy"] else 0.0
            cost = 1 - s["precision"] / base["precision"] if base["precision"] else 0.0
            print(f"- {dataset}, {variant}: discrepancy cut {100 * cut:.0f} % "
                  f"({'met' if cut >= 0.7 else 'NOT met'}); coverage ratio min/maj "
                  f"{s['ratio']:.2f} ({'met' if s['ratio'] >= 0.9 else 'NOT met'}); precision "
                  f"cost {100 * cost:.1f} % ({'met' if cost <= 0.1 else 'NOT met'}); slowest "
                  f"run {s['wall']:.0f} s (one core)")


if __name__ == "__main__":
    main()

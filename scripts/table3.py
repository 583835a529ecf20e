#!/usr/bin/env python3
"""`make table3`: the paper's ablation grid (supplementary Table 3 and the EC margins of Table 5),
one hc-finetune run and one hc-retrieve evaluation per configs/finetune/ ablation, each result
a JSON under runs/table3/<name>/ (existing results are kept: re-running resumes the grid), then
one table with the paper's HierarCaps values beside ours (runs/table3/table3.md and .json).

  scripts/table3.py --build build --model M --data TRAIN.csv.gz --test-csv T.csv --images DIR \
      [--train-images DIR]

The CLIP-objective row needs the training rows' images (--train-images, `make table3 IMAGES=`);
without them it is reported as skipped, with the reason, in the table.
"""
import argparse
import json
import os
import subprocess
import sys

# (run name, extra config layered after official.yaml or None, the paper's Table 3 row label)
GRID = [
    ("re", None, "RE fine-tuning (ours)"),
    ("root-mean", "root-mean", "fixed root (train mean)"),
    ("root-origin", "root-origin", "fixed root (origin)"),
    ("root-original", "root-original", "fixed root (original e_empty)"),
    ("root-only", "root-only", "only learning root"),
    ("no-pullback", "no-pullback", "lambda_p = 0"),
    ("three-tiers", "three-tiers", "3 tiers"),
    ("no-negatives", "no-negatives", "no negative examples"),
    ("clip-objective", "clip-objective", "FT with CLIP objective"),
    ("from-scratch", "from-scratch", "training from scratch"),
    ("ec-margin-0", "ec-margin-0", "EC loss, m = 0"),
    ("ec-margin-0.1", "ec-margin-0.1", "EC loss, m = 0.1"),
    ("ec-margin-0.5", "ec-margin-0.5", "EC loss, m = 0.5"),
]

# The paper's supplementary Table 3, HierarCaps columns (P, R, d_corr), CLIP ViT-B/32. The
# row labels of the published text were recovered from the section's prose order.
PAPER = {
    "base CLIP": (0.14, 0.36, 0.89),
    "RE fine-tuning (ours)": (0.15, 0.47, 0.99),
    "fixed root (train mean)": (0.16, 0.44, 0.98),
    "fixed root (origin)": (0.21, 0.19, 0.54),
    "fixed root (original e_empty)": (0.14, 0.47, 0.98),
    "only learning root": (0.15, 0.37, 0.93),
    "lambda_p = 0": (0.15, 0.45, 0.99),
    "3 tiers": (0.17, 0.50, 0.93),
    "no negative examples": (0.16, 0.42, 0.99),
    "FT with CLIP objective": (0.14, 0.28, 0.95),
    "training from scratch": (0.00, 0.01, 0.93),
}


def run(command):
    print("+ " + " ".join(command), file=sys.stderr)
    subprocess.run(command, check=True)


def retrieve(args, model, output, extra=()):
    if os.path.exists(output):
        return
    run([f"{args.build}/bin/hc-retrieve", "--config", "configs/eval/hierarcaps.yaml",
         "--model", model, "--csv", args.test_csv, "--images", args.images,
         "--output", output, *extra])


def train(args, name, layer):
    folder = f"{args.runs}/{name}"
    result = f"{folder}/finetune.json"
    if not os.path.exists(result):
        command = [f"{args.build}/bin/hc-finetune", "--config", "configs/finetune/official.yaml"]
        if layer:
            command += ["--config", f"configs/finetune/{layer}.yaml"]
        command += ["--model", args.model, "--data", args.data, "--out", f"{folder}/model",
                    "--force", "--checkpoint-dir", f"{folder}/checkpoint", "--output", result]
        if args.exclude:
            command += ["--exclude-images", args.exclude]
        if layer == "clip-objective":
            command += ["--images", args.train_images]
        if args.max_steps:
            command += ["--max-steps", str(args.max_steps)]
        if os.path.exists(f"{folder}/checkpoint/training_state.json"):
            command += ["--resume", f"{folder}/checkpoint"]
        run(command)
    root = []
    if layer and layer.startswith("root-") and layer != "root-origin":
        root = ["--root", f"{folder}/model/extra_tensors.safetensors", "--set", "root.tensor=root"]
    elif layer == "root-origin":
        root = ["--root", "origin"]
    retrieve(args, f"{folder}/model", f"{folder}/hierarcaps.json", root)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default="build")
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--test-csv", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--exclude", help="a CSV whose images are left out of training")
    parser.add_argument("--train-images",
                        help="folder of the training rows' images (the CLIP-objective run)")
    parser.add_argument("--max-steps", type=int, default=0)
    parser.add_argument("--runs", default="runs/table3")
    parser.add_argument("--only", help="comma-separated run names")
    args = parser.parse_args()
    os.makedirs(args.runs, exist_ok=True)
    wanted = set(args.only.split(",")) if args.only else None
    retrieve(args, args.model, f"{args.runs}/base.json")
    rows = [("base CLIP", f"{args.runs}/base.json", None)]
    for name, layer, label in GRID:
        if wanted and name not in wanted:
            continue
        if layer == "clip-objective" and not args.train_images:
            reason = "no training images given (--train-images / make table3 IMAGES=DIR)"
            print(f"skipping {name}: {reason}", file=sys.stderr)
            rows.append((label, None, reason))
            continue
        train(args, name, layer)
        rows.append((label, f"{args.runs}/{name}/hierarcaps.json", None))
    merge(args, rows)


def merge(args, rows):
    table = []
    lines = ["| run | P | R | d_corr | paper P | paper R | paper d_corr |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, path, skipped in rows:
        paper = PAPER.get(label)
        paper_cells = [f"{v:.2f}" for v in paper] if paper else ["-"] * 3
        if skipped:
            table.append({"run": label, "skipped": skipped, "paper": paper})
            lines.append(f"| {label} (skipped: {skipped}) | - | - | - | " +
                         " | ".join(paper_cells) + " |")
            continue
        metrics = json.load(open(path))["metrics"]
        ours = (metrics["precision"], metrics["recall"], metrics["d_corr"])
        table.append({"run": label, "result": path, "precision": ours[0], "recall": ours[1],
                      "d_corr": ours[2], "paper": paper})
        cells = [f"{v:.3f}" for v in ours] + paper_cells
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    with open(f"{args.runs}/table3.json", "w") as out:
        json.dump({"model": args.model, "data": args.data, "rows": table}, out, indent=2)
    with open(f"{args.runs}/table3.md", "w") as out:
        out.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Regenerate the figures in docs/figures/ from shipped commands (see docs/figures/README.md).
# Run from the repository root: bash docs/make_figures.sh [SCRATCH_FOLDER]
# Result files go to SCRATCH_FOLDER (default: a new temporary folder), figures to docs/figures/.
# On 2 cores: runs ~30 s each, the fit with its posterior several minutes, energy_full ~10 min.
set -euo pipefail
MBSIM=${MBSIM:-mbsim}
ROOT=$(pwd)
FIGURES=$ROOT/docs/figures
LAB=${LAB:-$ROOT/../shared/data/lab/retention.csv}
SCRATCH=${1:-$(mktemp -d)}
mkdir -p "$SCRATCH"
cd "$SCRATCH"

# The README's main job: ten spaced cycles, 8 flies.
$MBSIM run aversive_spaced_10x -o spaced.h5 -q
$MBSIM plot spaced.h5 --lab-data "$LAB" -o "$FIGURES/overview_aversive_spaced_10x.png"
for kind in retention energy weights; do
  $MBSIM plot spaced.h5 --kind $kind --lab-data "$LAB" -o "$FIGURES/${kind}_aversive_spaced_10x.png"
done

# Survival after spaced and massed training (Mery & Kawecki 2005), with the log-rank test.
$MBSIM run survival_spaced_5x -o survival_spaced.h5 -q
$MBSIM run survival_massed_5x -o survival_massed.h5 -q
$MBSIM plot survival_spaced.h5 survival_massed.h5 --kind survival -o "$FIGURES/survival_spaced_vs_massed.png"

# A fit of the memory kinetics to the approximate retention data, with its posterior.
$MBSIM fit "$ROOT/data/fits/retention_memory.yaml" -o fit.h5 --posterior -q
$MBSIM plot fit.h5 -o "$FIGURES/fit_retention_memory.png"

# Energy sweeps (docs/energy-efficiency.md): the small one and the full one.
for experiment in energy_small energy_full; do
  $MBSIM energy-sweep $experiment -o $experiment.h5 --no-figures -q
  stem=$([ $experiment = energy_full ] && echo energy || echo energy_small)
  for kind in fraction optimal savings; do
    name=$([ $kind = fraction ] && echo vs_fraction || echo $kind)
    $MBSIM plot $experiment.h5 --kind $kind -o "$FIGURES/${stem}_$name.png"
  done
done

# Meta-learning (docs/meta-learning.md): the Pareto front and the rules beside the fly's.
$MBSIM meta-learn meta_full --jobs 2 -o meta_full.h5 --figures "$FIGURES/meta_full" -q
echo "figures written to $FIGURES (results in $SCRATCH)"

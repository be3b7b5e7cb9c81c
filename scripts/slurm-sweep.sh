#!/usr/bin/env bash
# Example Slurm batch script: one pse-sim experiment across several nodes with Open MPI
# (README "Running on a cluster"). Adapt the #SBATCH lines to your cluster (partition, account).
#
# Usage:  sbatch scripts/slurm-sweep.sh EXPERIMENT.toml [OUTPUT.h5] [more pse-sim sweep options]
#   e.g.  sbatch --nodes=8 scripts/slurm-sweep.sh scenarios/sensitivity.toml results/sensitivity.h5
# Submit from the repository root; OUTPUT must be on a file system every node sees (not /tmp).
# Resubmitting the same command after a time-out, a node failure or scancel continues the sweep:
# the script adds --resume when OUTPUT.parts/ exists (finished runs are kept there).
#
#SBATCH --job-name=pse-sweep
#SBATCH --nodes=4                 # ranks = nodes: one rank per node ...
#SBATCH --ntasks-per-node=1
#SBATCH --cpus-per-task=32        # ... with this many oneTBB threads (set to your nodes' cores)
#SBATCH --time=02:00:00           # at the limit Slurm sends SIGTERM: ranks save their runs and stop
#SBATCH --output=pse-sweep-%j.log
set -euo pipefail

experiment="${1:?usage: sbatch scripts/slurm-sweep.sh EXPERIMENT.toml [OUTPUT.h5] [options]}"
output="${2:-results/$(basename "$experiment" .toml).h5}"
shift $(( $# >= 2 ? 2 : 1 ))
pse_sim="${PSE_SIM:-build/release/sim/pse-sim}"   # built with MPI (scripts/install-deps --mpi)

mkdir -p "$(dirname "$output")"
resume=()
if [ -d "$output.parts" ]; then
  resume=(--resume)
  echo "slurm-sweep: $output.parts exists; continuing the sweep with --resume"
fi

# Open MPI's mpirun reads the allocation from Slurm: one rank per node (ppr:1:node), not bound to
# one core (--bind-to none), so that each rank's oneTBB threads use every core of its node.
# (With srun instead: `srun --mpi=pmix "$pse_sim" sweep ...`, if your Slurm has PMIx.)
exec mpirun --map-by ppr:1:node --bind-to none \
  "$pse_sim" sweep "$experiment" -o "$output" -t "${SLURM_CPUS_PER_TASK:-0}" "${resume[@]}" "$@"

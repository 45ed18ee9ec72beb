#!/bin/bash
# slurm-search.sh - a `syno search --mpi` over a Slurm allocation: 33 tasks
# with one GPU each; task 0 runs the search and keeps the store, the other
# 32 train candidates on their GPUs (doc/search.md, "Distributed search").
#
#   sbatch examples/slurm-search.sh examples/fmnist-conv.syno
#
# Submitting it again after the job died (node failure, time limit)
# resumes the same search, with whatever number of tasks the new job has.
#
# The store lives on the local disk of the first node (where this script
# and task 0 run), never on the shared file system: SQLite's WAL mode needs
# locks that NFS does not provide reliably.  It is copied to the submit
# directory when the search ends or the job is told to stop, and copied
# back when the job starts.  The operators (.syno files) go straight to the
# submit directory.  Task 0's GPU stays idle: the coordinator needs one CPU.
#SBATCH --job-name=syno-search
#SBATCH --ntasks=33
#SBATCH --gpus-per-task=1
#SBATCH --cpus-per-task=4
#SBATCH --time=24:00:00
#SBATCH --signal=B:TERM@300
set -u
SPEC=${1:?usage: sbatch slurm-search.sh SPEC}
SAVE=${SLURM_SUBMIT_DIR:-$PWD}/syno-search
LOCAL=${TMPDIR:-/tmp}/syno-search-${SLURM_JOB_ID:-$$}
mkdir -p "$SAVE" "$LOCAL"

resume=
if [ -f "$SAVE/results.db" ]; then # an earlier job's store: continue it
  cp "$SAVE"/results.db* "$LOCAL/"
  resume=--resume
fi
save() { cp "$LOCAL"/results.db* "$SAVE/"; } # with the -wal file: every committed evaluation

# --mpi=pmix: the tasks form one MPI job (use the plugin your site's MPI
# was built for).  Workers find the standard library through SYNO_STDLIB
# when syno is not installed.
srun --mpi=pmix --kill-on-bad-exit=1 syno search "$SPEC" --mpi --backend cuda \
  --db "$LOCAL/results.db" --out "$SAVE/operators" $resume &
pid=$!
# near the time limit: end the search (its finished evaluations are
# committed), then keep the store
trap 'kill -TERM $pid 2>/dev/null; wait $pid; save; exit 143' TERM
wait $pid
status=$?
save
exit $status

#!/usr/bin/env bash
# setup.sh -- Gradescope runs this once, when it builds the autograder's image (Ubuntu, as
# root, in /autograder/source where it unpacked autograder.zip). make gradescope wrote it
# from the kit's exercises/grading/gradescope-setup.sh.
#
# It installs what the grading needs (a C compiler, make, Check, pkg-config; not Python)
# and builds the grader's own programs once, so that each submission only builds its own.
set -euo pipefail
source=$(cd "$(dirname "$0")" && pwd)

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends build-essential check libsubunit-dev pkg-config

flags=(-std=c11 -O2 -D_POSIX_C_SOURCE=200809L)
cc "${flags[@]}" -o "$source/tools/json_check" "$source/tools/json_check.c"
for tool in score run_bounded; do
    cc "${flags[@]}" -o "$source/kit/exercises/grading/$tool" "$source/kit/exercises/grading/$tool.c"
done
chmod +x "$source/run_autograder"
echo "setup.sh: the grading's packages and programs are ready"

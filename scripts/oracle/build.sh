#!/usr/bin/env bash
# Build real Cyclus 1.6 (MILPs on, Cbc) and Cycamore from source into a prefix: the oracle that
# scripts/differential.py and scripts/bench_solver.py compare cycsrv against.
#
# usage: scripts/oracle/build.sh [--prefix DIR] [--cyclus-src DIR] [--cycamore-src DIR]
#                                [--nucdata DIR] [--jobs N] [--no-apt]
#
# Source trees: given with --cyclus-src/--cycamore-src, or exported from the bare git mirrors
# named by $CYCLUS_GIT / $CYCAMORE_GIT at the pinned commits (the ones the references used).
# Nothing here is needed by the test suite; the prefix is never committed.
set -euo pipefail

CYCLUS_COMMIT=216239d3
CYCAMORE_COMMIT=c809ea74
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
PREFIX=/work/oracle
CYCLUS_SRC=""
CYCAMORE_SRC=""
NUCDATA="$REPO/../shared/reference/nucdata"
JOBS=2
APT=1
CYCLUS_GIT="${CYCLUS_GIT:-/work/.mirror/cyclus+cyclus/repo}"
CYCAMORE_GIT="${CYCAMORE_GIT:-/work/.mirror/cyclus+cycamore/repo}"

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX="$2"; shift 2 ;;
    --cyclus-src) CYCLUS_SRC="$2"; shift 2 ;;
    --cycamore-src) CYCAMORE_SRC="$2"; shift 2 ;;
    --nucdata) NUCDATA="$2"; shift 2 ;;
    --jobs) JOBS="$2"; shift 2 ;;
    --no-apt) APT=0; shift ;;
    *) echo "build.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

say() { echo "[oracle $(date -u +%H:%M:%S)] $*"; }

if [ "$APT" = 1 ]; then
  say "installing Debian build dependencies"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    g++ make cmake pkg-config python3-dev googletest \
    coinor-libcbc-dev coinor-libclp-dev \
    libboost-dev libboost-program-options-dev libboost-filesystem-dev \
    libboost-system-dev libboost-serialization-dev \
    libhdf5-dev libxml++2.6-dev libxml2-dev libsqlite3-dev liblapack-dev libblas-dev
fi

mkdir -p "$PREFIX/src" "$PREFIX/build"

export_tree() {  # export_tree GITDIR COMMIT DEST
  if [ ! -f "$3/CMakeLists.txt" ]; then
    [ -d "$1" ] || { echo "build.sh: no git mirror at $1 (give a source tree)" >&2; exit 2; }
    mkdir -p "$3"
    git --git-dir="$1" archive "$2" | tar -x -C "$3"
  fi
}

if [ -z "$CYCLUS_SRC" ]; then
  CYCLUS_SRC="$PREFIX/src/cyclus-$CYCLUS_COMMIT"
  export_tree "$CYCLUS_GIT" "$CYCLUS_COMMIT" "$CYCLUS_SRC"
fi
if [ -z "$CYCAMORE_SRC" ]; then
  CYCAMORE_SRC="$PREFIX/src/cycamore-$CYCAMORE_COMMIT"
  export_tree "$CYCAMORE_GIT" "$CYCAMORE_COMMIT" "$CYCAMORE_SRC"
fi

say "preparing the Cyclus tree at $CYCLUS_SRC"
# The build would download PyNE's decay and CRAM sources and a nuclear data file; this machine
# has no network for that. Decay is stubbed (an empty decay chain: decay stays unavailable, as
# in the reference build) and the nuclear data file is written from the reference tables.
python3 "$HERE/stub_pyne.py" "$CYCLUS_SRC/src"
python3 "$HERE/write_nucdata.py" "$NUCDATA" "$CYCLUS_SRC/share/cyclus_nuc_data.h5"
# Unit-test executables are not part of the oracle (they need googletest built and double the
# compile time); gtest itself still comes from Debian's googletest for the test-agent libraries.
python3 "$HERE/drop_unit_tests.py" cyclus "$CYCLUS_SRC/cli/CMakeLists.txt"
python3 "$HERE/drop_unit_tests.py" cycamore "$CYCAMORE_SRC/CMakeLists.txt"
# cycpp's `#pragma cyclus exec` imports cyclus.system, which only the Python bindings (off here)
# would generate: write it from its template, into the tree (Cyclus's own agents read it by a
# path relative to cli/) and into a package directory on PYTHONPATH (Cycamore imports it).
mkdir -p "$PREFIX/pysupport/cyclus"
: > "$PREFIX/pysupport/cyclus/__init__.py"
sed -e 's/@CY_LARGE_INT@/2147483647/' -e 's/@CY_LARGE_DOUBLE@/1e299/' -e 's/@CY_NEAR_ZERO@/1e-08/' \
  "$CYCLUS_SRC/cyclus/system.py.in" > "$PREFIX/pysupport/cyclus/system.py"
cp "$PREFIX/pysupport/cyclus/system.py" "$CYCLUS_SRC/cyclus/system.py"
export PYTHONPATH="$PREFIX/pysupport${PYTHONPATH:+:$PYTHONPATH}"
cd "$CYCLUS_SRC/cli"

NICE="nice -n 15"
say "configuring Cyclus"
cmake -S "$CYCLUS_SRC" -B "$PREFIX/build/cyclus" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" \
  -DDEFAULT_ALLOW_MILPS=ON \
  -DCYCLUS_FAST_COMPILE=OFF \
  -DPython3_EXECUTABLE=/usr/bin/python3 \
  -DFETCHCONTENT_SOURCE_DIR_GOOGLETEST=/usr/src/googletest \
  -DFETCHCONTENT_FULLY_DISCONNECTED=ON > "$PREFIX/build/cyclus-cmake.log" 2>&1 \
  || { tail -40 "$PREFIX/build/cyclus-cmake.log"; exit 1; }
say "compiling Cyclus (make -j$JOBS, log $PREFIX/build/cyclus-make.log)"
$NICE make -C "$PREFIX/build/cyclus" -j"$JOBS" > "$PREFIX/build/cyclus-make.log" 2>&1 \
  || { tail -40 "$PREFIX/build/cyclus-make.log"; exit 1; }
make -C "$PREFIX/build/cyclus" install > "$PREFIX/build/cyclus-install.log" 2>&1 \
  || { tail -40 "$PREFIX/build/cyclus-install.log"; exit 1; }

say "configuring Cycamore"
export CYCLUS_ROOT_DIR="$PREFIX"
export PATH="$PREFIX/bin:$PATH"
cmake -S "$CYCAMORE_SRC" -B "$PREFIX/build/cycamore" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" \
  -DPython3_EXECUTABLE=/usr/bin/python3 > "$PREFIX/build/cycamore-cmake.log" 2>&1 \
  || { tail -40 "$PREFIX/build/cycamore-cmake.log"; exit 1; }
say "compiling Cycamore"
$NICE make -C "$PREFIX/build/cycamore" -j"$JOBS" > "$PREFIX/build/cycamore-make.log" 2>&1 \
  || { tail -40 "$PREFIX/build/cycamore-make.log"; exit 1; }
make -C "$PREFIX/build/cycamore" install > "$PREFIX/build/cycamore-install.log" 2>&1 \
  || { tail -40 "$PREFIX/build/cycamore-install.log"; exit 1; }

cat > "$PREFIX/bin/cyclus-oracle" <<EOF
#!/bin/sh
# Run the oracle Cyclus with its agents and nuclear data found.
export LD_LIBRARY_PATH="$PREFIX/lib:$PREFIX/lib/cyclus\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
export CYCLUS_PATH="$PREFIX/lib/cyclus"
export CYCLUS_NUC_DATA="$PREFIX/share/cyclus/cyclus_nuc_data.h5"
exec "$PREFIX/bin/cyclus" "\$@"
EOF
chmod +x "$PREFIX/bin/cyclus-oracle"
say "done: $PREFIX/bin/cyclus-oracle"
"$PREFIX/bin/cyclus-oracle" --version

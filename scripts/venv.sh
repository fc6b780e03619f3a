# Sourced by scripts/test and scripts/run-example: make `python` the project's interpreter.
# Inside an active virtual environment (or conda env) that one is used; otherwise the project's
# own .venv is created on first use (CYCSRV_VENV chooses another place), since a system Python
# marked "externally managed" (PEP 668: Debian 12+, Ubuntu 23.04+) refuses a plain pip install.
in_env=$(python3 -c 'import os, sys; print(int(sys.prefix != sys.base_prefix or "CONDA_PREFIX" in os.environ))')
if [ "$in_env" = 1 ]; then
  python=python3
else
  venv=${CYCSRV_VENV:-.venv}
  if [ ! -x "$venv/bin/python" ]; then
    echo "creating the project's virtual environment in $venv (python3 -m venv)" >&2
    if ! python3 -m venv "$venv"; then
      echo "error: python3 -m venv failed; on Debian or Ubuntu install it with: sudo apt-get install python3-venv" >&2
      exit 1
    fi
  fi
  python=$venv/bin/python
  export PATH="$PWD/$venv/bin:$PATH"  # the venv's console scripts (cycsrv) first
fi

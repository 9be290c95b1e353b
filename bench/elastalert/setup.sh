#!/bin/sh
# ElastAlert2 in a virtual environment of its own (bench/.venv-elastalert), for
# bench/elastalert_compare.py. 2.19.0 is the newest release that installs on Python 3.11;
# it imports pytz without declaring it, so pytz is installed beside it.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
venv="$here/.venv-elastalert"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "elastalert2==2.19.0" pytz
"$venv/bin/python" -c "import elastalert, pytz; print('elastalert2', __import__('importlib.metadata').metadata.version('elastalert2'))"

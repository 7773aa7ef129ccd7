#!/bin/sh
# Trim the virtualenv VENV in the build stage, before the final stage copies it (image < 600 MB).
#   sh slim-venv.sh VENV
# It removes only what the dashboard, the update and the reports never load:
# - test suites and C headers shipped inside wheels;
# - pyarrow's Flight and S3 libraries (loaded by `pyarrow.flight`, and by `pyarrow.fs`, which goes
#   on without S3 when it is missing);
# - jedi and debugpy (IPython completes without jedi, ipykernel runs without a debugger: both
#   check for them first), babel's locale data but English (the Jupyter pages are in English);
# - pip and setuptools (nothing is installed after the build);
# - symbols that are not needed to link (`strip --strip-unneeded`), when binutils is there.
# The import check at the end fails the build when a removal broke an import.
set -eu
venv=$1
site=$(echo "$venv"/lib/python3*/site-packages)
[ -d "$site" ] || { echo "slim-venv: no site-packages under $venv" >&2; exit 1; }

"$venv/bin/python" -m pip uninstall --quiet --yes jedi debugpy setuptools pip
cd "$site"
rm -rf pandas/tests numpy/tests numpy/*/tests pyarrow/tests pyarrow/include pyarrow/src \
  pyarrow/libarrow_flight.so* pyarrow/libarrow_python_flight.so* pyarrow/_flight.*.so \
  pyarrow/_pyarrow_cpp_tests.*.so pyarrow/libarrow_s3.so* pyarrow/_s3fs.*.so \
  matplotlib/tests
if command -v strip >/dev/null; then
  # Not the libraries auditwheel grafted into <name>.libs/: patchelf moved their segments,
  # and strip would leave them unloadable ("ELF load command address/offset not page-aligned").
  find "$venv" -type f -name '*.so*' ! -path '*.libs/*' -exec strip --strip-unneeded {} +
fi
find babel/locale-data -type f ! -name 'root.dat' ! -name 'en.dat' ! -name 'en_*.dat' -delete

# What the dashboard, the update and the reports import must still import.
"$venv/bin/python" -c "import pandas, pyarrow.feather, pyarrow.fs, pyarrow.parquet, psutil, \
matplotlib.pyplot, sqlalchemy, psycopg, voila.app, papermill, ipykernel.ipkernel, mdvax.cli, \
babel; babel.Locale.parse('en')"

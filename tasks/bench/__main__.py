"""``python -m tasks.bench``: the command line, also the worker entry :func:`~tasks.bench.measure.measure_in_subprocess` starts."""

import sys

from tasks.bench.cli import main

main(sys.argv[1:])

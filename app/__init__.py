"""The composition root: the typed runtime, its start and stop order, the web server and the
command line. The only package that builds engines, bots, pools and channels; everything else
receives what it needs."""

import os

# Before numpy is imported anywhere: its BLAS threads would fight the query encoder's threads
# for the cores (measured in docs/benchmarks.md, "Knowledge base").
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

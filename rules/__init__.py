"""Compliance rules: which directive items bind a plan, and what is missing, unassigned or late.

One module per family of rules (coverage, assignment, timing, obligations), each a
durable-rules ruleset over facts prepared from stored documents. Thresholds come from the
policy file (data/policy.yaml); every finding has a stable code, a severity, the items and
units it concerns, a Chinese message and the evidence that fired it.
"""

import os

# The rules multiply matrices of a few dozen rows: BLAS threads only add contention (on a loaded
# 2-core machine a product took 5-10x longer with them). Set before numpy is first imported;
# an explicit setting in the environment wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

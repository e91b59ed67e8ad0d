"""Compliance rules: which directive items bind a plan, and what is missing, unassigned or late.

One module per family of rules (coverage, assignment, timing, obligations), each a
durable-rules ruleset over facts prepared from stored documents. Thresholds come from the
policy file (data/policy.yaml); every finding has a stable code, a severity, the items and
units it concerns, a Chinese message and the evidence that fired it.
"""

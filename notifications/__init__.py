"""Alerts: route findings and obligation states to offices, render digests, send them once."""

"""Application steps as plain functions: ingest documents, check plans, derive obligations,
collect alerts. The CLI and the Prefect flows both call these; flows add only orchestration."""

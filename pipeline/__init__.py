"""Application steps as plain functions: ingest documents, check plans, derive obligations,
collect alerts. The CLI and the Prefect flows both call these; flows add only orchestration."""

# The label under which plans whose district could not be read are grouped and reported.
UNKNOWN_DISTRICT = "（未识别地区）"

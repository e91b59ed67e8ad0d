"""Prefect flows: thin orchestration over the plain functions of `pipeline`.

- `flows.ingest.ingest_directive`: store a filed directive and re-check the plans under it;
- `flows.check.check_plan`: the on-demand check of a filed draft plan;
- `flows.nightly.nightly_compliance`: every stored plan — rules, obligations, alerts — with the
  districts in parallel: as tasks of its run, or (`fanout="deployments"`, flows.fanout) as one
  `flows.district.district_check` flow run each, shared by the pool's workers.

Deployments, schedules and event triggers are declared in prefect.yaml at the project root.
Tasks sit where retries or parallelism pay: per district (not per item), the obligation
derivation and the alert run. Every run leaves a Markdown summary and a findings table as
artifacts under fixed keys, so the UI's Artifacts page keeps their history.
"""

"""The benchmark harness: ``python -m bench.run`` measures the ledger and writes docs/benchmarks.md.

One module per concept: :mod:`bench.plan` (full run or ``--quick``), :mod:`bench.workload`
(deterministic entry bodies), :mod:`bench.stats` (summaries), :mod:`bench.machine` (what ran
it), :mod:`bench.databases` (fresh SQLite files and PostgreSQL databases), :mod:`bench.append`,
:mod:`bench.reference` and :mod:`bench.biglog` (the measurements), :mod:`bench.targets` and
:mod:`bench.report` (the document). Bias runs: :mod:`bench.bias`, :mod:`bench.bias_report`;
monitoring runs beside Evidently: :mod:`bench.monitoring` (its data:
:mod:`bench.monitoring_workload`; the peer: :mod:`bench.evidently_peer`) and
:mod:`bench.monitoring_report` (docs/benchmarks-monitoring.md).
"""

"""The batch pipeline: a beamtime folder in, absolute curves, size distributions, steps and peaks out.

Modules, in the order a batch uses them:

- :mod:`saxs.pipeline.scheduler` — run independent tasks on local processes or Dask, failures as values
  (:mod:`~saxs.pipeline.isolate`: crash-proof local workers; :mod:`~saxs.pipeline.postmortem`: what a
  dead Dask worker was doing);
- :mod:`saxs.pipeline.fingerprint` — input/settings hashes for ``--resume``, per-sample seeds;
- :mod:`saxs.pipeline.sample` — the per-sample task (reduce, screen/average, subtract, absolute, fit, peaks);
- :mod:`saxs.pipeline.series` — the per-series analysis (quantized steps, mesophase tracking);
- :mod:`saxs.pipeline.results` — reads the result files back and draws their figures (also ``saxs plot``);
- :mod:`saxs.pipeline.plan` — plans the tasks: jobs, outputs, fingerprints, what is up to date or failed;
- :mod:`saxs.pipeline.batch` — runs the plan, writes ``summary.json`` and the log.

The command line (``saxs batch``) only parses options and calls :func:`saxs.pipeline.batch.run_batch`.
"""

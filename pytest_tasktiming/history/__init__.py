"""What the file's history says about the next run: recorded durations, shards, time limits.

Pure and pytest-free, so the command line and benchmarks use it too: ``recent`` keeps each
task's recent successful durations, ``index`` reads them from a file of any size through an
incremental index, ``partition`` splits units of work into even shards, ``limits`` derives a
test's time limit from its runs and ``shard_spec`` reads ``K/N`` and the CI's variables. The
plugin (``plugin/history.py``) matches tests to tasks and acts on it.
"""

"""Counters and their rendering for ``/v1/stats/app``, ``/v1/stats/db`` and ``/metrics``:
``metrics`` declares every metric once, ``counters`` counts in memory, ``publisher``
writes a process's counts (collection ``service_stats``), ``render`` shapes the merge.
"""

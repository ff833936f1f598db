"""`make bench`: our service against its peers, in one run, on this machine.

Entry point: `python -m bench` (see `bench.run`). Every row lives in `bench.rows`, every
peer we compare with in `bench.baselines`.
"""

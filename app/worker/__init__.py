"""The job worker (`python -m app worker`): each domain's periodic drains and sweeps, beside the API.

Durable work is written by a request into a table of its domain in the same transaction as its
cause (the mail outbox, notices, holds that expire, imports); the worker's jobs find such rows with
``FOR UPDATE SKIP LOCKED`` and settle them. Nothing is lost when a worker dies: the row stays and
the next run (of this worker or another) takes it.
"""

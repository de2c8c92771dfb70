"""The vendored Citus (``build.sh`` builds it into the machine's PostgreSQL) and a launcher for a private
cluster of it (``cluster.py``)."""

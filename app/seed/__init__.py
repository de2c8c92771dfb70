"""Demo and benchmark data: realistic events around real cities, loaded with COPY.

``python -m app.seed --events N --seed S`` (see ``cli``); ``loader.seed_database`` for code.
"""

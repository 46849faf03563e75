"""Shared test helpers: synthesized audio and photos, tiny random-weight models, canvas helpers.

Tests and benchmarks import helpers from here (``tests.support.<module>``), never from a test
module or a conftest; pytest fixtures stay in the conftest files and build on these helpers.
"""

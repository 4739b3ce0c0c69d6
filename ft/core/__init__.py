"""The ground floor every layer stands on: errors, settings, dates, privacy, URLs.

Nothing here imports any other part of ft, so anything may import it.
"""

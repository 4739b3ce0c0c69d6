"""What ft does with a library and its models: classify, read (summaries and answers), cluster,
map and the dashboard. Every task takes a ``Library`` and asks it for engines and vectors.
"""

"""The network sources: safe fetching, web pages and arXiv papers, feeds, X bookmarks.

Each produces ``index.Record`` values and keeps its own sync state through ``index``;
nothing here runs a model.
"""

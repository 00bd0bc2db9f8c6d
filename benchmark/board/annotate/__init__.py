"""`humor-bench annotate`: blind pairwise labeling by people, whose labels become human WTR and judge agreement.

pairs.py draws pairs from Inspect logs of this task or from a pairs file; store.py keeps labels in
SQLite (one row per answer, history kept); summary.py turns labels into human WTR, agreement between
annotators and the judge-report export; server.py serves the page in static/.
"""

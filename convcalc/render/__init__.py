"""Renderers: the only place numbers become text, one module per view (a summary table, the
Keras text, JSON/Markdown/CSV, run, compare, check, diff, layers). Each view with several
formats keeps a ``RENDERERS`` table from format name to function; the command imports the one
module it prints with, so a summary does not load the JSON or CSV writers."""

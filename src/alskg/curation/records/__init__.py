"""Curation records: one YAML block per trial, regulatory act or intervention, turned into RDF.

The template (docs/curation.md) is the OBO ROBOT-template idiom with YAML blocks instead of table
rows: each fact is a named field, each page checked names the facts it showed, and disagreeing
sources are kept side by side. Modules: yaml_source (parsing with line numbers), fields (the shared
field rules and problems), studies, regulatory, interventions (one record kind each) and load
(the folder's records as one graph).
"""

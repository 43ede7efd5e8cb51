"""The knowledge register: decisions, agreements, links and notes (model, service, search index)."""

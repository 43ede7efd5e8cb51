"""The domain: frozen dataclasses, SQLAlchemy storage behind repositories, search, renderers.

Imports neither `bot` nor `commands`.
"""

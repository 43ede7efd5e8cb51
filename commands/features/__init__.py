"""One module per feature, each with its own `router`; `commands.build_registry` merges them."""

"""The Matrix side of Lotse: configuration, client, sync loop, scheduler and the CLI.

This is the only package that imports matrix-nio. It builds everything (app.py) and
hands `commands` plain data; `commands` never sees a nio type.
"""

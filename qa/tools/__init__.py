"""Tools at the edge: the `qa` command (`cli`) and what it runs besides answering: quality
metrics (`evaluate`), speed measurements (`bench`, `scale`) and the terminal rendering of an
answer (`render_terminal`). `user_error` is the one-line error every command prints.

May import every other stage; nothing imports the tools (except `python -m qa`).
"""

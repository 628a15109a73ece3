"""Run the `qa` command in a new process and report which heavy modules it imported."""

from __future__ import annotations

HEAVY = ("torch", "transformers", "sentence_transformers", "gradio")
# `python -c PROBE ARGS` runs `qa ARGS`, then prints the heavy modules it imported (a JSON list)
# as the last line of stderr
PROBE = (
    "import json, sys\nfrom qa.tools.cli import main\ntry:\n    sys.exit(main(sys.argv[1:]))\n"
    f"finally:\n    print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]),"
    " file=sys.stderr)\n"
)

"""Serve the Article QA page and its API: `python app.py [--host H] [--port P]` (127.0.0.1:7860).

The page is built in `qa.web.page`, the JSON route in `qa.web.json_api`, the server in
`qa.web.server`.
"""

import sys

from qa.web.server import serve

if __name__ == "__main__":
    sys.exit(serve())

"""``python -m flyteplugins.hitl --store DIR [--host H] [--port P] [--detach]``: serve the event app.

Tasks start the app on their own; this is for serving it by hand (or under a supervisor).
"""

import sys

from flyteplugins.hitl._server import main

sys.exit(main())
